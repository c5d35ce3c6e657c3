/**
 * The request log: one info line per REST request, when its answer is sent — request id (`reqId`,
 * from X-Request-ID or generated), tenant, route pattern, method, status and duration — and the
 * same request in the `miptech_http_request_duration_seconds` metric.
 *
 * Only these fields, on purpose: the route is the pattern (`/api/v1/chat/:id`), not the URL, so no
 * id, query value or token a client put in a URL is written down; no header, body or cookie is
 * logged (the logger also redacts credentials wherever they would appear, see base/logger.ts).
 * WebSocket traffic is not a request here: the gateway logs connections, never frames.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../base/logger.ts';
import type { PlatformMetrics } from '../observability/platform-metrics.ts';
import { requestedTenantId, TENANT_ID_PATTERN } from '../transport/request-identity.ts';

/** The route label of a request no route matched (404): one value, whatever the URL was. */
const UNMATCHED_ROUTE = '(unmatched)';

export function registerRequestLog(app: FastifyInstance, metrics?: PlatformMetrics): void {
  // The level is fixed at start-up: below info, not even the tenant is looked up.
  const logRequests = (app.log as Logger).isLevelEnabled('info');
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const ms = reply.elapsedTime;
    metrics?.httpRequest(request.method, route, reply.statusCode, ms);
    if (logRequests) {
      // A tenant id that is not a valid slug is logged as such, not echoed.
      const named = requestedTenantId(request);
      const tenant = named === null ? undefined : TENANT_ID_PATTERN.test(named) ? named : '(invalid)';
      request.log.info({ tenant, route, method: request.method, status: reply.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    }
    done();
  });
}
