/**
 * URL building: the REST base and the WebSocket URL with `tenant_id` in the query (guide §7: the
 * server closes with 1008 without it; the token never goes into the URL).
 */
import { WS_PATH } from '@miptech/protocol';

function stripTrailingSlash(value: string): string {
  return value.replace(/\/+$/, '');
}

/** `https://api.example.com/` → `https://api.example.com` (path prefixes are kept). */
export function normalizeApiUrl(apiUrl: string): string {
  return stripTrailingSlash(apiUrl);
}

/** The WebSocket URL for a tenant; derived from `apiUrl` when `wsUrl` is not given. */
export function buildWsUrl(apiUrl: string, wsUrl: string | undefined, tenantId: string): string {
  let url: URL;
  if (wsUrl) {
    url = new URL(wsUrl);
  } else {
    url = new URL(normalizeApiUrl(apiUrl));
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    url.pathname = stripTrailingSlash(url.pathname) + WS_PATH;
  }
  url.searchParams.set('tenant_id', tenantId);
  return url.toString();
}
