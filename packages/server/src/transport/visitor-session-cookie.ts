/**
 * The anonymous visitor's session cookie. An anonymous chat belongs to the visitor holding its
 * session id (auth/principal.ts), but the guide-era widget creates its chat over REST and then
 * joins over the WebSocket with only `?tenant_id&chat_id` and `{chat_id, tenant_id, token: null}`:
 * no session id. A chat id alone must never open a chat, so the REST creation hands the session id
 * to the browser as an HttpOnly cookie, which the browser sends with the WebSocket handshake.
 *
 * One cookie per tenant (`miptech_session_id.<tenant>`: a browser visiting two tenants' sites
 * keeps both sessions); the generic `miptech_session_id` and `miptech_visitor_id` names are still
 * read. Over https it is `SameSite=None; Secure; Partitioned` (the widget runs on the tenant's site,
 * the platform on another one; partitioned by that site where third-party cookies are blocked),
 * over plain http (local development) `SameSite=Lax`.
 *
 * A browser keeps the cookie of a cross-origin `fetch` only when the request is credentialed
 * (`credentials: 'include'`), or when the widget page is served by the platform itself; a widget
 * that does neither passes the session id in the WebSocket URL or in `join_chat` instead.
 *
 * The live widget makes no REST call at all: a WebSocket handshake that brings no session gets a
 * new one in this cookie on its 101 answer (ws/ws-gateway.ts), so its reconnects (each one a
 * `join_chat {create:true}`) land in the same chat instead of a new one.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

const COOKIE_PREFIX = 'miptech_session_id';
const LEGACY_NAMES = ['miptech_session_id', 'miptech_visitor_id'] as const;
const SESSION_VALUE = /^[\x21-\x7e]{1,128}$/;
/** Refreshed on every creation or resume. */
const MAX_AGE_SECONDS = 30 * 24 * 3600;
/** Where the browser sends it: the REST chat API and the WebSocket endpoint. */
const COOKIE_PATH = '/api/v1';

/** The cookie's name for one tenant. */
export function sessionCookieName(tenantId: string): string {
  return `${COOKIE_PREFIX}.${tenantId}`;
}

function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  if (!header) return cookies;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    try {
      value = decodeURIComponent(value);
    } catch {
      // Not percent-encoded: taken as it is.
    }
    if (!cookies.has(name) && value !== '') cookies.set(name, value);
  }
  return cookies;
}

/**
 * The visitor session id from a Cookie header: the tenant's own cookie first, then the generic
 * names (tenant unknown: generic names only). Null when absent or not a valid session id.
 */
export function readSessionCookie(cookieHeader: string | undefined, tenantId: string | null): string | null {
  const cookies = parseCookies(cookieHeader);
  for (const name of [...(tenantId ? [sessionCookieName(tenantId)] : []), ...LEGACY_NAMES]) {
    const value = cookies.get(name);
    if (value !== undefined && SESSION_VALUE.test(value)) return value;
  }
  return null;
}

/**
 * The Set-Cookie value of the tenant's session cookie. `secure`: the visitor reached the platform
 * over https (directly or through a trusted proxy, see client-address.ts).
 */
export function sessionCookieHeader(tenantId: string, sessionId: string, secure: boolean): string {
  const attributes = [`Path=${COOKIE_PATH}`, `Max-Age=${MAX_AGE_SECONDS}`, 'HttpOnly'];
  attributes.push(...(secure ? ['SameSite=None', 'Secure', 'Partitioned'] : ['SameSite=Lax']));
  return `${sessionCookieName(tenantId)}=${encodeURIComponent(sessionId)}; ${attributes.join('; ')}`;
}

/** Sets the tenant's session cookie on a REST answer. */
export function setSessionCookie(reply: FastifyReply, request: FastifyRequest, tenantId: string, sessionId: string): void {
  void reply.header('set-cookie', sessionCookieHeader(tenantId, sessionId, request.protocol === 'https'));
}
