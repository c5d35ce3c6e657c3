/**
 * Liveness and readiness. `/healthz` (also `/health`, `/api/v1/health`) says the process is up;
 * `/readyz` (GET and HEAD) says whether it can serve: 503 with `db_not_ready` or
 * `schema_unavailable` while the database is not usable, `service_unavailable` while shutting
 * down (so a load balancer stops sending traffic before the sockets close).
 */
import type { FastifyPluginAsync } from 'fastify';
import { AppError } from '../../base/errors.ts';
import type { PlatformServices } from '../../transport/platform-services.ts';
import { errorResponses } from '../schemas/resource-schemas.ts';

const HEALTHY = {
  type: 'object',
  required: ['status', 'version'],
  properties: { status: { type: 'string', const: 'healthy' }, version: { type: 'string' } },
} as const;

const READY = {
  type: 'object',
  required: ['status', 'version', 'database'],
  properties: { status: { type: 'string', const: 'ready' }, version: { type: 'string' }, database: { type: 'string', enum: ['sqlite', 'postgres'] } },
} as const;

const healthRoutes: FastifyPluginAsync<PlatformServices> = async (app, services) => {
  const healthy = async () => ({ status: 'healthy', version: services.config.version });
  for (const path of ['/healthz', '/health', '/api/v1/health']) {
    const schema = { tags: ['health'], summary: 'Liveness: the process is up', response: { 200: { description: 'Up', ...HEALTHY } } };
    app.get(path, { schema }, healthy);
  }

  const readySchema = {
    tags: ['health'],
    summary: 'Readiness: whether this node can serve (GET or HEAD)',
    description: '503 with db_not_ready or schema_unavailable while the database is not usable, service_unavailable while shutting down or while Redis is unreachable; Retry-After says when to ask again.',
    response: { 200: { description: 'Ready', ...READY }, ...errorResponses('db_not_ready', 'schema_unavailable', 'service_unavailable') },
  };
  app.get('/readyz', { schema: readySchema }, async () => {
    if (services.lifecycle.shuttingDown) throw new AppError('service_unavailable', 'Server shutting down', { retryAfter: 1 });
    const health = await services.store.health().catch(() => ({ ready: false, code: 'db_not_ready' as const }));
    if (!health.ready) throw new AppError(health.code ?? 'db_not_ready', undefined, { retryAfter: 2 });
    for (const dependency of services.readinessChecks) {
      const result = await dependency.check().catch((error: unknown) => ({ ready: false, detail: (error as Error).message }));
      if (!result.ready) {
        throw new AppError('service_unavailable', `${dependency.name} not ready${result.detail ? `: ${result.detail}` : ''}`, { retryAfter: 2 });
      }
    }
    return { status: 'ready', version: services.config.version, database: services.store.dialect };
  });
};

export default healthRoutes;
