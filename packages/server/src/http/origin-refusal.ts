/**
 * A browser page on an origin its tenant does not allow (issue #15, item 8). Without help the
 * widget on such a page shows "Connecting…" forever: the browser hides a CORS-less 403 from the
 * page, so the widget sees a network error and keeps retrying, and the server said nothing.
 *
 * - The refusal itself is made readable to the page: cors.ts approves exactly this error response
 *   (and the preflight of the widget-token route, so the POST that earns it can be sent). Nothing
 *   else is approved for that origin: the refusal carries no data, only the reason.
 * - Its message names the page's origin and where the site owner adds it. It does not list the
 *   tenant's allowed origins: that list names the tenant's other sites, and any page can trigger
 *   this answer. The site owner sees the list in the server log and with `miptech tenant show`.
 * - The server logs one structured warning per tenant and origin per interval (a page reloaded in
 *   a loop, or a hostile site embedding the widget, must not flood the log).
 */
import type { FastifyRequest } from 'fastify';
import { AppError } from '../base/errors.ts';
import { normalizeOrigin } from '../auth/origin-policy.ts';
import type { TenantRecord } from '../store/store.ts';
import type { PlatformServices } from '../transport/platform-services.ts';

/** One warning per tenant and origin per this long. */
export const ORIGIN_REFUSAL_LOG_INTERVAL_MS = 10 * 60_000;
/** Pairs remembered at most; beyond, the oldest are forgotten (a flood of made-up origins stays bounded). */
const MAX_REMEMBERED = 1000;

const refusedRequests = new WeakSet<FastifyRequest>();
const lastLoggedByServices = new WeakMap<PlatformServices, Map<string, number>>();

/** The AppError for a request whose Origin `tenant` does not allow; logs it (rate-limited) and lets cors.ts expose it. */
export function refuseOrigin(services: PlatformServices, request: FastifyRequest, tenant: TenantRecord, origin: string | null): AppError {
  refusedRequests.add(request);
  const shown = normalizeOrigin(origin) ?? (origin ? origin.slice(0, 200) : null);
  logRefusal(services, tenant, shown);
  const message = shown
    ? `This page's origin ${shown} is not an allowed origin of tenant ${tenant.id}. The site owner adds it to the tenant's allowed origins (miptech tenant update ${tenant.id} --add-origin ${shown}, or allowed_origins in the admin API).`
    : `Requests without an Origin are not allowed for tenant ${tenant.id}.`;
  return new AppError('origin_not_allowed', message);
}

/** Whether this request's answer is an origin refusal (cors.ts lets the page read it). */
export function isOriginRefusal(request: FastifyRequest): boolean {
  return refusedRequests.has(request);
}

function logRefusal(services: PlatformServices, tenant: TenantRecord, origin: string | null): void {
  let lastLogged = lastLoggedByServices.get(services);
  if (!lastLogged) {
    lastLogged = new Map();
    lastLoggedByServices.set(services, lastLogged);
  }
  const key = `${tenant.id}\n${origin ?? ''}`;
  const now = services.clock.now();
  const previous = lastLogged.get(key);
  if (previous !== undefined && now - previous < ORIGIN_REFUSAL_LOG_INTERVAL_MS) return;
  lastLogged.delete(key);
  lastLogged.set(key, now);
  if (lastLogged.size > MAX_REMEMBERED) lastLogged.delete(lastLogged.keys().next().value!);
  services.logger.warn(
    { tenantId: tenant.id, origin, allowedOrigins: tenant.settings.allowedOrigins, suppressForMs: ORIGIN_REFUSAL_LOG_INTERVAL_MS },
    'origin not allowed: a page on this origin tried to use the tenant (add it to the tenant\'s allowed origins if it is the tenant\'s site)',
  );
}
