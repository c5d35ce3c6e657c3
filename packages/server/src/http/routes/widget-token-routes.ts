/**
 * `POST /api/v1/auth/widget-token`: how a browser gets a short-lived visitor JWT without any
 * secret in the page. The request must come from an Origin the tenant allows and carry the
 * tenant's publishable key (or none, when the tenant runs the anonymous-widget policy). A
 * `previous_token` keeps the visitor's `sub`, so the visitor keeps its chats across renewals, when
 * auth/widget-token-renewal.ts accepts it (a widget token of this tenant, still valid or just
 * expired, within the session's maximum age); any other previous token is refused with its code.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { SCOPES, type WidgetTokenResponse } from '@miptech/protocol';
import { isOriginAllowed } from '../../auth/origin-policy.ts';
import { WIDGET_TOKEN_ISSUER, verifyRenewableToken } from '../../auth/widget-token-renewal.ts';
import { AppError } from '../../base/errors.ts';
import { enforceRateLimit } from '../../backend/rate-limit/enforce-rate-limit.ts';
import type { PlatformServices } from '../../transport/platform-services.ts';
import { requestOrigin, requireRequestTenant } from '../../transport/request-identity.ts';
import { refuseOrigin } from '../origin-refusal.ts';
import { presentString } from '../present-string.ts';
import { FIELD_LIMITS } from '../schemas/field-limits.ts';
import { ERRORS, errorResponses } from '../schemas/resource-schemas.ts';

const VISITOR_SCOPES = [SCOPES.chatCreate, SCOPES.chatSend];
const MINUTE = 60_000;

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const WIDGET_TOKEN_BODY = {
  type: ['object', 'null'],
  properties: {
    tenant_id: { type: ['string', 'null'], maxLength: FIELD_LIMITS.tenantIdChars, description: 'The tenant, when no tenant header is sent.' },
    publishable_key: { type: ['string', 'null'], maxLength: FIELD_LIMITS.publishableKeyChars, description: "The tenant's publishable key (pk_…); also accepted as X-API-Key. Not needed with the anonymous widget policy." },
    previous_token: { type: ['string', 'null'], maxLength: FIELD_LIMITS.previousTokenChars, description: 'The visitor’s last widget token (still valid or expired within the renewal grace, WIDGET_TOKEN_RENEWAL_GRACE_SECONDS): the new one keeps its visitor id. Any other token is refused (token_expired, invalid_token, token_not_renewable, token_revoked).' },
  },
} as const;

const WIDGET_TOKEN_RESPONSE = {
  type: 'object',
  required: ['token', 'expires_at', 'visitor_id', 'tenant_id'],
  properties: {
    token: { type: 'string', description: 'A visitor JWT with chat:create and chat:send' },
    expires_at: { type: 'integer', description: 'Expiry, seconds since the epoch' },
    visitor_id: { type: 'string' },
    tenant_id: { type: 'string' },
  },
} as const;

interface WidgetTokenBody {
  publishable_key?: string | null;
  previous_token?: string | null;
}

const widgetTokenRoutes: FastifyPluginAsync<PlatformServices> = async (app, services) => {
  const schema = {
    tags: ['auth'],
    summary: 'A short-lived visitor token for a browser',
    description: 'From an Origin the tenant allows, with its publishable key (or none under the anonymous widget policy). No secret ever needs to be in the page.',
    headers: { type: 'object', properties: { 'x-tenant-id': { type: 'string' }, 'x-api-key': { type: 'string', description: 'The publishable key (pk_…), instead of publishable_key' } } },
    body: WIDGET_TOKEN_BODY,
    response: { 200: { description: 'The token', ...WIDGET_TOKEN_RESPONSE }, ...errorResponses(ERRORS.tenant, 'invalid_api_key', 'origin_not_allowed', 'invalid_token', 'token_expired', 'token_not_renewable', 'token_revoked', 'tenant_mismatch', ERRORS.body, ERRORS.availability) },
  };
  app.post<{ Body: WidgetTokenBody | null }>('/api/v1/auth/widget-token', { schema }, async (request) => {
    const bodyKey = presentString(request.body?.publishable_key);
    const previousToken = presentString(request.body?.previous_token);

    const tenant = await requireRequestTenant(services, request);
    await enforceRateLimit(services.rateLimiter, `rest:${tenant.id}:${request.ip}`, tenant.settings.rateLimits.requestsPerMinute, MINUTE);
    if (!isOriginAllowed(tenant, requestOrigin(request))) throw refuseOrigin(services, request, tenant, requestOrigin(request));

    const headerKey = request.headers['x-api-key'];
    const publishableKey = bodyKey ?? (typeof headerKey === 'string' && headerKey.startsWith('pk_') ? headerKey : null);
    if (publishableKey !== null) {
      if (!sameSecret(publishableKey, tenant.publishableKey)) throw new AppError('invalid_api_key');
    } else if (!tenant.settings.anonymousWidget) {
      throw new AppError('invalid_api_key', 'publishable_key required');
    }

    const now = Math.floor(Date.now() / 1000);
    let visitorId = `v_${randomUUID()}`;
    let authTime = now;
    if (previousToken) {
      const session = await verifyRenewableToken(services.tokens, previousToken, tenant.id, VISITOR_SCOPES, {
        graceSeconds: services.config.widgetTokenRenewalGraceSeconds,
        maxSessionAgeSeconds: services.config.widgetSessionMaxAgeSeconds,
      });
      visitorId = session.subject;
      authTime = session.authTime;
    }

    const { token, expiresAt } = await services.tokens.sign({
      tenantId: tenant.id,
      scopes: VISITOR_SCOPES,
      subject: visitorId,
      ttlSeconds: services.config.widgetTokenTtlSeconds,
      issuer: WIDGET_TOKEN_ISSUER,
      authTime,
    });
    const response: WidgetTokenResponse = { token, expires_at: expiresAt, visitor_id: visitorId, tenant_id: tenant.id };
    return response;
  });
};

export default widgetTokenRoutes;
