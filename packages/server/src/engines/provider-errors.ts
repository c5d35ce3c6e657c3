/**
 * Turns what an LLM provider answers on failure into the platform's `ai_*` error codes. The
 * provider's own message goes into `cause` for the logs, never onto the wire: it can name keys,
 * accounts or internal hosts.
 */
import { ERROR_CODES, type ErrorCode } from '@miptech/protocol';
import { AppError } from '../base/errors.ts';

/** The AppError for a non-2xx HTTP status from the provider. */
export function errorForStatus(status: number, detail: string, retryAfter?: number): AppError {
  const code = codeForStatus(status);
  return new AppError(code, undefined, {
    cause: new Error(`provider answered HTTP ${status}: ${detail}`),
    ...(ERROR_CODES[code].retryable && retryAfter !== undefined ? { retryAfter: Math.ceil(retryAfter) } : {}),
  });
}

function codeForStatus(status: number): ErrorCode {
  if (status === 401 || status === 403) return 'ai_auth_failed';
  if (status === 429) return 'ai_rate_limited';
  if (status === 408) return 'ai_timeout';
  if (status >= 500) return 'ai_unavailable';
  return 'ai_bad_request';
}

/**
 * Seconds to wait from `Retry-After` (delta-seconds or an HTTP date) or OpenAI's `retry-after-ms`;
 * undefined when absent or unreadable.
 */
export function parseRetryAfter(headers: Headers, now: number = Date.now()): number | undefined {
  const milliseconds = headers.get('retry-after-ms');
  if (milliseconds !== null && /^\s*\d+(\.\d+)?\s*$/.test(milliseconds)) return Number(milliseconds) / 1000;
  const value = headers.get('retry-after')?.trim();
  if (value === undefined || value === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - now) / 1000);
}

/** Reads at most `limit` characters of an error body, for the log; never throws. */
export async function readErrorDetail(response: Response, limit = 2000): Promise<string> {
  try {
    const text = await response.text();
    return text.length > limit ? `${text.slice(0, limit)}…` : text;
  } catch {
    return '(error body unreadable)';
  }
}
