/**
 * The one place that tells "the database cannot be reached right now" from any other failure:
 * such an error becomes AppError db_not_ready (503 with Retry-After over REST, an `error` frame
 * with `retry_after` on the WebSocket), so clients retry instead of treating it as a bug.
 *
 * Recognised: network errors of the connection (refused, reset, timed out, unreachable), the
 * PostgreSQL SQLSTATE classes 08 (connection exception) and 57P (server shutting down or starting
 * up) and 53300 (too many connections), pg and pg-pool's "connection terminated" / connect
 * timeout messages (pg's own connect timeout says just "timeout expired"; pg-pool's queue bound,
 * DATABASE_POOL_ACQUIRE_TIMEOUT_MS, reuses "timeout exceeded when trying to connect": a pool
 * exhausted that long is not accepting work either), a pool or driver that was already shut down,
 * and SQLite's busy and cannot-open errors. Causes and aggregated errors are followed (bounded).
 */
import { AppError, isAppError } from '../base/errors.ts';

/** Seconds a client is told to wait before retrying. */
export const DATABASE_RETRY_AFTER_SECONDS = 2;

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);
const SQLSTATE = /^[0-9A-Z]{5}$/;
const MESSAGES =
  /connection terminated|timeout exceeded when trying to connect|^timeout expired$|not queryable|cannot use a pool after calling end|connection ended|driver has already been destroyed|server closed the connection unexpectedly/i;
const MAX_DEPTH = 5;

function matches(error: unknown, depth: number): boolean {
  if (depth > MAX_DEPTH || typeof error !== 'object' || error === null) return false;
  if (isAppError(error)) return error.code === 'db_not_ready';
  const { code, message, cause, errors } = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code)) return true;
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_CANTOPEN')) return true;
    if (SQLSTATE.test(code) && (code.startsWith('08') || code.startsWith('57P') || code === '53300')) return true;
  }
  if (typeof message === 'string' && MESSAGES.test(message)) return true;
  if (Array.isArray(errors) && errors.some((inner) => matches(inner, depth + 1))) return true;
  return matches(cause, depth + 1);
}

/** Whether `error` means the database is unreachable or not accepting work for now. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return matches(error, 0);
}

/**
 * AppError db_not_ready (always with retry_after) when `error` means the database is unavailable
 * (an AppError db_not_ready included); null for anything else.
 */
export function databaseUnavailableError(error: unknown): AppError | null {
  if (!isDatabaseUnavailable(error)) return null;
  if (isAppError(error) && error.retryAfter !== undefined) return error;
  const message = isAppError(error) ? error.message : 'Database not reachable; try again shortly';
  return new AppError('db_not_ready', message, { retryAfter: DATABASE_RETRY_AFTER_SECONDS, cause: error });
}
