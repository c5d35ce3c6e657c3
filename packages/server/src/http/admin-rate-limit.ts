/**
 * Rate limits of the admin API (`/api/v1/admin/…`), before the key is even looked up: per client
 * address (ADMIN_REQUESTS_PER_MINUTE_PER_ADDRESS; also what bounds guessing keys) and per
 * presented secret key (ADMIN_REQUESTS_PER_MINUTE_PER_KEY: one tenant's automation cannot crowd
 * out the others). Over a limit: 429 rate_limited with Retry-After. The key is counted by a hash,
 * so no secret is kept in the limiter (Redis, with several nodes).
 */
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { enforceRateLimit } from '../backend/rate-limit/enforce-rate-limit.ts';
import type { PlatformServices } from '../transport/platform-services.ts';

const ADMIN_PREFIX = '/api/v1/admin/';
const MINUTE = 60_000;

export function registerAdminRateLimit(app: FastifyInstance, services: PlatformServices): void {
  const { config, rateLimiter } = services;
  app.addHook('onRequest', async (request) => {
    if (!request.url.startsWith(ADMIN_PREFIX)) return;
    await enforceRateLimit(rateLimiter, `admin:addr:${request.ip}`, config.adminRequestsPerMinutePerAddress, MINUTE);
    const authorization = request.headers.authorization;
    if (typeof authorization === 'string' && authorization.length > 0) {
      const keyHash = createHash('sha256').update(authorization.trim()).digest('base64url').slice(0, 22);
      await enforceRateLimit(rateLimiter, `admin:key:${keyHash}`, config.adminRequestsPerMinutePerKey, MINUTE);
    }
  });
}
