import { ERROR_CODES, type ErrorCode, type ValidationDetail } from '@miptech/protocol';

/**
 * The one error type the server throws on purpose. It carries a wire code from the protocol's
 * table; the REST error handler and the WebSocket gateway turn it into a response or a frame.
 * Anything else that escapes is an `internal_error`.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly detail: ValidationDetail[] | undefined;
  /** Seconds until a retry may succeed (sent as `retry_after` and the Retry-After header). */
  readonly retryAfter: number | undefined;

  constructor(
    code: ErrorCode,
    message?: string,
    options: { detail?: ValidationDetail[]; retryAfter?: number; cause?: unknown } = {},
  ) {
    super(message ?? ERROR_CODES[code].message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.retryable = ERROR_CODES[code].retryable;
    this.detail = options.detail;
    this.retryAfter = options.retryAfter;
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
