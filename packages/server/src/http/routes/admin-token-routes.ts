/**
 * `POST /api/v1/admin/tokens/revoke` (tenant secret key): invalidates every token of the tenant
 * issued before a moment, or only those of one `sub`. Enforced on every REST request, WebSocket
 * join and widget-token renewal (token_revoked); see auth/token-revocations.ts for how fast other
 * nodes see it and what happens to sockets already joined.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError } from '../../base/errors.ts';
import type { TenantRecord } from '../../store/store.ts';
import type { PlatformServices } from '../../transport/platform-services.ts';
import { presentString } from '../present-string.ts';
import { ERRORS, errorResponses } from '../schemas/resource-schemas.ts';
import { authenticate } from './admin-knowledge-routes.ts';

const ADMIN_SECURITY = [{ secretKey: [] }];
/** A `before` further ahead than this is refused: it would revoke tokens not issued yet. */
const FUTURE_TOLERANCE_SECONDS = 5;

const REVOKE_BODY = {
  type: ['object', 'null'],
  additionalProperties: false,
  properties: {
    before: {
      type: ['string', 'null'],
      maxLength: 64,
      description: 'ISO 8601 date-time: tokens issued (iat) before it are revoked. By default now (this second included).',
    },
    sub: { type: ['string', 'null'], minLength: 1, maxLength: 128, description: 'Only the tokens of this visitor or user id; by default every token of the tenant.' },
  },
} as const;

const REVOKE_RESPONSE = {
  type: 'object',
  required: ['tenant_id', 'sub', 'revoked_before'],
  properties: {
    tenant_id: { type: 'string' },
    sub: { type: ['string', 'null'] },
    revoked_before: { type: 'string', description: 'The moment in force (a later revocation never moves it back), ISO 8601' },
  },
} as const;

const authenticatedTenants = new WeakMap<FastifyRequest, TenantRecord>();

const adminTokenRoutes: FastifyPluginAsync<PlatformServices> = async (app, services) => {
  // Encapsulated in this plugin: only the route below runs it.
  app.addHook('onRequest', async (request) => {
    authenticatedTenants.set(request, await authenticate(services.store, request));
  });

  app.post<{ Body: { before?: string | null; sub?: string | null } | null }>(
    '/api/v1/admin/tokens/revoke',
    {
      schema: {
        tags: ['admin'],
        summary: 'Revoke the tenant’s tokens issued before a moment (all, or one sub’s)',
        description:
          'Tokens whose iat is before `before` (or that have no iat) are refused with 401 token_revoked on REST, WebSocket joins and widget-token renewals. Other nodes apply it within TOKEN_REVOCATION_CACHE_MS; a WebSocket already joined keeps running until its next join.',
        security: ADMIN_SECURITY,
        body: REVOKE_BODY,
        response: { 200: { description: 'Revoked', ...REVOKE_RESPONSE }, ...errorResponses(ERRORS.adminAuth, ERRORS.body, ERRORS.availability) },
      },
    },
    async (request) => {
      const tenant = authenticatedTenants.get(request);
      if (!tenant) throw new AppError('auth_required');
      const now = Date.now() / 1000;
      const beforeText = presentString(request.body?.before);
      let before = Math.floor(now) + 1;
      if (beforeText !== null) {
        const parsed = Date.parse(beforeText);
        if (!Number.isFinite(parsed)) throw invalidBefore('must be an ISO 8601 date-time');
        before = Math.ceil(parsed / 1000);
        if (before > now + FUTURE_TOLERANCE_SECONDS) throw invalidBefore('must not be in the future');
      }
      const sub = presentString(request.body?.sub);
      const inForce = await services.tokenRevocations.revoke(tenant.id, sub, before);
      request.log.info({ tenant: tenant.id, perSubject: sub !== null, revokedBefore: inForce }, 'tokens revoked');
      return { tenant_id: tenant.id, sub, revoked_before: new Date(inForce * 1000).toISOString() };
    },
  );
};

function invalidBefore(msg: string): AppError {
  return new AppError('validation_error', `before ${msg}`, { detail: [{ loc: ['body', 'before'], msg }] });
}

export default adminTokenRoutes;
