import { ChatApiError } from '@miptech/client';

export interface RequestJsonOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  fetch?: typeof fetch | undefined;
  /** Abort the request after this many milliseconds. @default 15000 */
  timeoutMs?: number;
}

/**
 * Fetches JSON. Failures reject with the SDK's ChatApiError (the body's wire code, or a retryable
 * network error), so the client can tell "bad publishable key" (give up) from "server restarting" (retry).
 */
export async function requestJson<T>(url: string, options: RequestJsonOptions = {}): Promise<T> {
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 15_000);
  let response: Response;
  try {
    response = await doFetch(url, {
      signal: controller.signal,
      method: options.method ?? 'GET',
      headers: options.body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      credentials: 'omit',
    });
  } catch (error) {
    throw ChatApiError.network(error);
  } finally {
    clearTimeout(timer);
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) throw ChatApiError.fromResponse(response.status, body);
  return body as T;
}
