/**
 * CORS from the tenants' allowed origins, on every response (errors and 404s included: a browser
 * that gets a CORS-less error reports a CORS failure instead of the real error). A response for a
 * known tenant reflects an Origin that tenant allows; a response that names no known tenant (and
 * every preflight, which carries no tenant header) reflects an Origin that some tenant allows.
 *
 * One exception for a page on an origin its tenant does not allow: the widget-token preflight is
 * approved for every origin and the `origin_not_allowed` answer is readable (origin-refusal.ts),
 * so the widget can tell the visitor and the site owner why instead of retrying forever.
 *
 * The admin API (`/api/v1/admin/…`, authenticated with a tenant's secret `sk_…` key) never gets
 * CORS approval, preflights included: a browser refuses to hand its answers to a web page, so a
 * secret key pasted into a page's script is useless there. Admin tools call from a server or the
 * CLI, where CORS does not apply.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isOriginAllowed } from '../auth/origin-policy.ts';
import type { PlatformServices } from '../transport/platform-services.ts';
import { lookupRequestTenant } from '../transport/request-identity.ts';
import { isOriginRefusal } from './origin-refusal.ts';

const ALLOWED_HEADERS = 'Content-Type, Authorization, X-Tenant-ID, X-Tenant, Tenant-ID, X-API-Key, X-Request-ID, X-Session-ID';
const ALLOWED_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
const EXPOSED_HEADERS = 'X-Request-ID, Retry-After';
const ADMIN_PATH = '/api/v1/admin';
/** Where a page on any origin gets its preflight approved: the route answers a refused origin with a readable 403 and nothing else. */
const WIDGET_TOKEN_PATH = '/api/v1/auth/widget-token';

function isAdminPath(url: string): boolean {
  const path = url.split('?')[0]!.toLowerCase();
  return path === ADMIN_PATH || path.startsWith(`${ADMIN_PATH}/`);
}

/** The widget-token route checks the Origin itself and answers a refused one with a readable error, so its preflight is approved for every origin. */
function isWidgetTokenPath(url: string): boolean {
  return url.split('?')[0]!.toLowerCase() === WIDGET_TOKEN_PATH;
}

async function originAllowed(services: PlatformServices, request: FastifyRequest, origin: string): Promise<boolean> {
  const tenant = await lookupRequestTenant(services, request);
  if (tenant) return isOriginAllowed(tenant, origin);
  return services.tenants.isOriginAllowedByAnyTenant(origin).catch(() => false);
}

function setCorsHeaders(reply: FastifyReply, origin: string): void {
  void reply.header('access-control-allow-origin', origin);
  void reply.header('access-control-allow-credentials', 'true');
  void reply.header('access-control-expose-headers', EXPOSED_HEADERS);
}

export function registerCors(app: FastifyInstance, services: PlatformServices): void {
  app.addHook('onSend', async (request, reply) => {
    void reply.header('vary', 'Origin');
    const origin = request.headers.origin;
    if (typeof origin !== 'string' || isAdminPath(request.url)) return;
    if (isOriginRefusal(request)) {
      // The page may read why it was refused (origin-refusal.ts), without credentials: this answer
      // approves nothing else for that origin.
      void reply.header('access-control-allow-origin', origin);
      void reply.header('access-control-expose-headers', EXPOSED_HEADERS);
      return;
    }
    if (await originAllowed(services, request, origin)) setCorsHeaders(reply, origin);
  });

  // Preflights for every path, answered before any auth. Not an operation of the API: left out of
  // the OpenAPI document.
  app.options('*', { schema: { hide: true } }, async (request, reply) => {
    const origin = request.headers.origin;
    if (typeof origin === 'string' && !isAdminPath(request.url) && (isWidgetTokenPath(request.url) || (await services.tenants.isOriginAllowedByAnyTenant(origin).catch(() => false)))) {
      // The onSend hook approves origins some tenant allows; the widget-token preflight is approved here for any.
      if (isWidgetTokenPath(request.url)) void reply.header('access-control-allow-origin', origin);
      void reply.header('access-control-allow-methods', ALLOWED_METHODS);
      void reply.header('access-control-allow-headers', ALLOWED_HEADERS);
      void reply.header('access-control-max-age', '600');
    }
    return reply.status(204).send();
  });
}
