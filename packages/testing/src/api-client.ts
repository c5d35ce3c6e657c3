/**
 * A small REST helper for tests: JSON in, JSON out, the headers real clients send.
 *
 *   const res = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId, body: { session_id } });
 *   assert.equal(res.status, 201);
 */
export interface ApiRequestOptions {
  /** Sent as `Authorization: Bearer …`. */
  token?: string | null;
  /** Sent as X-Tenant-ID. */
  tenantId?: string | null;
  /** JSON body (serialised), unless `rawBody` is given. */
  body?: unknown;
  /** Sent as is (with `contentType`, default application/json). */
  rawBody?: string;
  contentType?: string;
  origin?: string;
  headers?: Record<string, string>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON body, or null when the body is empty or not JSON. */
  body: any;
  text: string;
}

export async function api(baseUrl: string, method: string, path: string, options: ApiRequestOptions = {}): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (options.tenantId) headers['x-tenant-id'] = options.tenantId;
  if (options.origin) headers.origin = options.origin;
  let body: string | undefined;
  if (options.rawBody !== undefined) {
    body = options.rawBody;
    headers['content-type'] = options.contentType ?? 'application/json';
  } else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = options.contentType ?? 'application/json';
  }
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    parsed = null;
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}
