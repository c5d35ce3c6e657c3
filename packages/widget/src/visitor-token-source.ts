import type { WidgetTokenResponse } from '@miptech/protocol';
import type { KeyValueStorage } from './safe-storage.ts';
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
      // A previous token the server cannot verify (too old, other secret) is ignored by the server,
      // which then starts a new visitor; the session-conflict recovery in the controller follows.
      return requestToken(options, options.storage.getItem(LAST_TOKEN_KEY));
    },
    identify(token) {
      identified = token && token.trim() !== '' ? token.trim() : null;
    },
    identifiedToken: () => identified,
  };
}

async function requestToken(options: VisitorTokenSourceOptions, previous: string | null): Promise<string> {
  const body = await requestJson<WidgetTokenResponse>(`${options.apiUrl}/api/v1/auth/widget-token`, {
    method: 'POST',
    body: {
      tenant_id: options.tenantId,
      ...(options.publishableKey ? { publishable_key: options.publishableKey } : {}),
      ...(previous ? { previous_token: previous } : {}),
    },
    fetch: options.fetch,
  });
  if (typeof body.token !== 'string' || body.token === '') throw new Error('widget-token answered without a token');
  options.storage.setItem(LAST_TOKEN_KEY, body.token);
  return body.token;
}

