/**
 * `POST /api/v1/auth/widget-token`: how a browser gets a short-lived visitor JWT without any
 * secret in the page. The request must come from an Origin the tenant allows and carry the
 * tenant's publishable key (or none, when the tenant runs the anonymous-widget policy). A
 * `previous_token` whose signature is valid, of the same tenant and expired less than 30 days
 * ago keeps the visitor's `sub`, so the visitor keeps its chats across renewals.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import { SCOPES, type WidgetTokenResponse } from '@miptech/protocol';
import { isOriginAllowed } from '../../auth/origin-policy.ts';
import { AppError } from '../../base/errors.ts';
import { enforceRateLimit } from '../../backend/rate-limit/enforce-rate-limit.ts';
import type { PlatformServices } from '../../transport/platform-services.ts';
import { requestOrigin, requireRequestTenant } from '../../transport/request-identity.ts';
import { presentString } from '../present-string.ts';
import { FIELD_LIMITS } from '../schemas/field-limits.ts';
import { ERRORS, errorResponses } from '../schemas/resource-schemas.ts';

const PREVIOUS_TOKEN_MAX_EXPIRED_SECONDS = 30 * 24 * 3600;
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
    previous_token: { type: ['string', 'null'], maxLength: FIELD_LIMITS.previousTokenChars, description: 'The visitor’s last token (expired less than 30 days ago): the new one keeps its visitor id.' },
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
    response: { 200: { description: 'The token', ...WIDGET_TOKEN_RESPONSE }, ...errorResponses(ERRORS.tenant, 'invalid_api_key', 'origin_not_allowed', ERRORS.body, ERRORS.availability) },
  };
  app.post<{ Body: WidgetTokenBody | null }>('/api/v1/auth/widget-token', { schema }, async (request) => {
    const bodyKey = presentString(request.body?.publishable_key);
    const previousToken = presentString(request.body?.previous_token);

    const tenant = await requireRequestTenant(services, request);
    await enforceRateLimit(services.rateLimiter, `rest:${tenant.id}:${request.ip}`, tenant.settings.rateLimits.requestsPerMinute, MINUTE);
    if (!isOriginAllowed(tenant, requestOrigin(request))) throw new AppError('origin_not_allowed');

    const headerKey = request.headers['x-api-key'];
    const publishableKey = bodyKey ?? (typeof headerKey === 'string' && headerKey.startsWith('pk_') ? headerKey : null);
    if (publishableKey !== null) {
      if (!sameSecret(publishableKey, tenant.publishableKey)) throw new AppError('invalid_api_key');
    } else if (!tenant.settings.anonymousWidget) {
      throw new AppError('invalid_api_key', 'publishable_key required');
    }

    let visitorId: string | null = null;
    if (previousToken) {
      const previous = await services.tokens.verifyRecentlyExpired(previousToken, PREVIOUS_TOKEN_MAX_EXPIRED_SECONDS);
      if (previous && previous.tenantId === tenant.id && previous.subject) visitorId = previous.subject;
    }
    visitorId ??= `v_${randomUUID()}`;

    const { token, expiresAt } = await services.tokens.sign({
      tenantId: tenant.id,
      scopes: [SCOPES.chatCreate, SCOPES.chatSend],
      subject: visitorId,
      ttlSeconds: services.config.widgetTokenTtlSeconds,
    });
    const response: WidgetTokenResponse = { token, expires_at: expiresAt, visitor_id: visitorId, tenant_id: tenant.id };
    return response;
  });
};

export default widgetTokenRoutes;
