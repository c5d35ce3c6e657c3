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
import { InputReader } from '../input-reader.ts';
import type { PlatformServices } from '../../transport/platform-services.ts';
import { requestOrigin, requireRequestTenant } from '../../transport/request-identity.ts';

const PREVIOUS_TOKEN_MAX_EXPIRED_SECONDS = 30 * 24 * 3600;
const MINUTE = 60_000;

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const widgetTokenRoutes: FastifyPluginAsync<PlatformServices> = async (app, services) => {
  app.post('/api/v1/auth/widget-token', async (request) => {
    const body = new InputReader(request.body, 'body');
    body.optionalString('tenant_id', { maxLength: 64 });
    const bodyKey = body.optionalString('publishable_key', { maxLength: 256 });
    const previousToken = body.optionalString('previous_token', { maxLength: 8192 });
    body.finish();

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
