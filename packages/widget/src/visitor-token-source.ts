import type { WidgetTokenResponse } from '@miptech/protocol';
import type { KeyValueStorage } from './safe-storage.ts';
import { ChatApiError } from '@miptech/client';
import { requestJson } from './request-json.ts';

export interface VisitorTokenSourceOptions {
  apiUrl: string;
  tenantId: string;
  /** `pk_…`; tenants with the anonymous-widget policy may run without one. */
  publishableKey: string | null;
  /** Already scoped to the tenant. */
  storage: KeyValueStorage;
  fetch?: typeof fetch;
}

export interface VisitorTokenSource {
  /** Suitable as the client's `getToken`: resolves to a token for the current visitor. */
  getToken(): Promise<string>;
  /** Use the host page's own token (a signed-in user) instead of an anonymous visitor token. */
  identify(token: string | null): void;
  /** The token given to `identify`, if any. */
  identifiedToken(): string | null;
}

const LAST_TOKEN_KEY = 'visitor_token';
/** Codes with which POST /api/v1/auth/widget-token refuses a `previous_token`. */
const RENEWAL_REFUSALS: ReadonlySet<string> = new Set(['invalid_token', 'token_expired', 'token_not_renewable', 'token_revoked', 'tenant_mismatch']);

/**
 * Visitor tokens for the widget. Each call asks `POST /api/v1/auth/widget-token` for a fresh token
 * (called on connect and on 4401, so a fresh one is what the client needs) and sends the last token
 * as `previous_token`, which keeps the visitor id — and therefore the visitor's chat — stable across
 * reloads and token expiry.
 */
export function createVisitorTokenSource(options: VisitorTokenSourceOptions): VisitorTokenSource {
  let identified: string | null = null;
  return {
    async getToken() {
      if (identified) return identified;
      const previous = options.storage.getItem(LAST_TOKEN_KEY);
      try {
        return await requestToken(options, previous);
      } catch (error) {
        // The server refuses to renew a previous token it cannot verify, that expired beyond the
        // renewal grace, reached the session's maximum age or was revoked: start a new visitor
        // (the session-conflict recovery in the controller follows).
        if (previous === null || !(error instanceof ChatApiError) || !RENEWAL_REFUSALS.has(error.code)) throw error;
        options.storage.removeItem(LAST_TOKEN_KEY);
        return requestToken(options, null);
      }
    },
    identify(token) {
      identified = token && token.trim() !== '' ? token.trim() : null;
    },
    identifiedToken: () => identified,
  };
}

async function requestToken(options: VisitorTokenSourceOptions, previous: string | null): Promise<string> {
  let body: WidgetTokenResponse;
  try {
    body = await requestJson<WidgetTokenResponse>(`${options.apiUrl}/api/v1/auth/widget-token`, {
      method: 'POST',
      body: {
        tenant_id: options.tenantId,
        ...(options.publishableKey ? { publishable_key: options.publishableKey } : {}),
        ...(previous ? { previous_token: previous } : {}),
      },
      fetch: options.fetch,
    });
  } catch (error) {
    warnSiteOwner(options, error);
    throw error;
  }
  if (typeof body.token !== 'string' || body.token === '') throw new Error('widget-token answered without a token');
  options.storage.setItem(LAST_TOKEN_KEY, body.token);
  return body.token;
}


/**
 * The visitor only sees "not enabled for this website"; the site owner, looking at the console,
 * learns which origin to allow and where. The server's message says the same (it names the origin,
 * not the tenant's other allowed origins: those are the tenant's business, see the server's log).
 */
function warnSiteOwner(options: VisitorTokenSourceOptions, error: unknown): void {
  if (!(error instanceof ChatApiError) || error.code !== 'origin_not_allowed') return;
  const origin = typeof location === 'object' ? location.origin : '(unknown origin)';
  console.warn(
    `[MIPTechChat] this page's origin ${origin} is not an allowed origin of tenant "${options.tenantId}", so the chat cannot start. ` +
      `Add ${origin} to the tenant's allowed origins (miptech tenant update ${options.tenantId} --add-origin ${origin}, or allowed_origins in the admin API).`,
  );
}
