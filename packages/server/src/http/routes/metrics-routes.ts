/**
 * `GET /metrics`: this node's Prometheus metrics (observability/platform-metrics.ts), for a
 * scraper holding METRICS_TOKEN as a bearer token. Without METRICS_TOKEN the route does not exist
 * (404 like any unknown path): metrics tell an outsider how busy the node is and which errors it
 * answers, so they are never public by default. Admin keys and visitor tokens are not accepted:
 * a scraper's credential should be able to do nothing else.
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { AppError } from '../../base/errors.ts';
import type { PlatformServices } from '../../transport/platform-services.ts';
import { errorResponses } from '../schemas/resource-schemas.ts';

function sameToken(given: string, expected: string): boolean {
  const left = Buffer.from(given);
  const right = Buffer.from(expected);
  return left.length === right.length && timingSafeEqual(left, right);
}

function requireMetricsToken(request: FastifyRequest, expected: string): void {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || header.trim() === '') throw new AppError('auth_required', 'Authorization: Bearer <METRICS_TOKEN> required');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header.trim());
  if (!match || !sameToken(match[1]!, expected)) throw new AppError('invalid_token');
}

const metricsRoutes: FastifyPluginAsync<PlatformServices> = async (app, services) => {
  const token = services.config.metricsToken;
  if (token === null) return;
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary: "This node's metrics in the Prometheus text format",
        description: 'Needs `Authorization: Bearer <METRICS_TOKEN>`; not served at all when METRICS_TOKEN is unset. See docs/operations.md for the metric names.',
        security: [{ metricsToken: [] }],
        response: {
          200: { description: 'Prometheus text exposition format 0.0.4', content: { 'text/plain': { schema: { type: 'string' } } } },
          ...errorResponses('auth_required', 'invalid_token'),
        },
      },
      onRequest: async (request) => requireMetricsToken(request, token),
    },
    async (_request, reply) => {
      const { contentType, text } = await services.metrics.render();
      return reply.type(contentType).header('cache-control', 'no-store').send(text);
    },
  );
};

export default metricsRoutes;
