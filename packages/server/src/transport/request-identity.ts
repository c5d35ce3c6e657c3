/**
 * Who and for which tenant a REST request is: the tenant from the X-Tenant-ID / X-Tenant /
 * Tenant-ID header (what deployed clients send), the body's or the query's `tenant_id`; the
 * credentials from the Authorization header only (a token in a URL is never accepted).
 */
import type { FastifyRequest } from 'fastify';
import { resolvePrincipal, type Principal } from '../auth/principal.ts';
import { AppError } from '../base/errors.ts';
import type { TenantRecord } from '../store/store.ts';
import type { PlatformServices } from './platform-services.ts';
import { readSessionCookie } from './visitor-session-cookie.ts';

const TENANT_HEADERS = ['x-tenant-id', 'x-tenant', 'tenant-id'] as const;
/** Tenant ids are short slugs; anything else cannot exist and is not worth a database query. */
export const TENANT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

function firstHeader(value: string | string[] | undefined): string | null {
  const first = Array.isArray(value) ? value[0] : value;
  return first && first.trim() !== '' ? first.trim() : null;
}

function field(source: unknown, name: string): string | null {
  if (typeof source !== 'object' || source === null) return null;
  const value = (source as Record<string, unknown>)[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** The tenant id the request names, if any (header first, then body, then query). */
export function requestedTenantId(request: FastifyRequest): string | null {
  for (const header of TENANT_HEADERS) {
    const value = firstHeader(request.headers[header]);
    if (value) return value;
  }
  return field(request.body, 'tenant_id') ?? field(request.query, 'tenant_id');
}

const resolved = new WeakMap<FastifyRequest, Promise<TenantRecord | null>>();

/** The named tenant's record, or null (missing or unknown); looked up once per request. */
export function lookupRequestTenant(services: PlatformServices, request: FastifyRequest): Promise<TenantRecord | null> {
  let pending = resolved.get(request);
  if (!pending) {
    const tenantId = requestedTenantId(request);
    pending = tenantId && TENANT_ID_PATTERN.test(tenantId) ? services.tenants.get(tenantId).catch(() => null) : Promise.resolve(null);
    resolved.set(request, pending);
  }
  return pending;
}

/** The tenant, or AppError tenant_required (400) / tenant_not_found (400). */
export async function requireRequestTenant(services: PlatformServices, request: FastifyRequest): Promise<TenantRecord> {
  const tenantId = requestedTenantId(request);
  if (!tenantId) throw new AppError('tenant_required', 'tenant_id required (X-Tenant-ID header, body or query)');
  if (!TENANT_ID_PATTERN.test(tenantId)) throw new AppError('tenant_not_found');
  const tenant = await services.tenants.get(tenantId);
  if (!tenant) throw new AppError('tenant_not_found');
  return tenant;
}

/** The bearer token of the Authorization header, if any. */
export function bearerToken(request: FastifyRequest): string | null {
  const header = firstHeader(request.headers.authorization);
  if (!header) return null;
  const match = /^Bearer\s+(.+)$/i.exec(header);
  if (!match) throw new AppError('invalid_token', 'Authorization must be "Bearer <token>"');
  return match[1]!.trim();
}

export function requestOrigin(request: FastifyRequest): string | null {
  return firstHeader(request.headers.origin);
}

/**
 * Visitor session id of an anonymous request: body or query `session_id`, the X-Session-ID header,
 * or the visitor session cookie the chat creation set (see visitor-session-cookie.ts).
 */
export function requestSessionId(request: FastifyRequest, tenantId: string): string | null {
  return (
    field(request.body, 'session_id') ??
    field(request.query, 'session_id') ??
    firstHeader(request.headers['x-session-id']) ??
    readSessionCookie(request.headers.cookie, tenantId)
  );
}

/** Authenticates a REST request of the widget API (WIDGET_JWT_REQUIRED decides whether a token is required). */
export function authenticateRequest(services: PlatformServices, request: FastifyRequest, tenant: TenantRecord): Promise<Principal> {
  return resolvePrincipal({
    tenant,
    token: bearerToken(request),
    origin: requestOrigin(request),
    sessionId: requestSessionId(request, tenant.id),
    jwtRequired: services.config.widgetJwtRequired,
    tokens: services.tokens,
  });
}
