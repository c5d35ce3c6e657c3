/**
 * The one error type the SDK rejects with. `code` is the wire code from the protocol's table
 * (`tenant_mismatch`, `rate_limited`, …), so callers decide from the code, not from the message.
 */
import { ERROR_CODES, isErrorCode } from '@miptech/protocol';

export interface ChatApiErrorInit {
  code: string;
  /** HTTP status for REST errors, the table's status for socket errors, 0 for network failures. */
  status: number;
  retryable: boolean;
  message?: string;
  requestId?: string | null;
  /** Seconds the server asked us to wait (429/503). */
  retryAfter?: number | null;
}

export class ChatApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly retryable: boolean;
  readonly requestId: string | null;
  readonly retryAfter: number | null;

  constructor(init: ChatApiErrorInit) {
    super(init.message ?? init.code);
    this.name = 'ChatApiError';
    this.code = init.code;
    this.status = init.status;
    this.retryable = init.retryable;
    this.requestId = init.requestId ?? null;
    this.retryAfter = init.retryAfter ?? null;
  }

  /** An error for a code of the protocol table, with the table's status and retry flag. */
  static fromCode(code: string, message?: string, extra: Partial<ChatApiErrorInit> = {}): ChatApiError {
    if (isErrorCode(code)) {
      const spec = ERROR_CODES[code];
      return new ChatApiError({ code, status: spec.status, retryable: spec.retryable, message: message ?? spec.message, ...extra });
    }
    return new ChatApiError({ code, status: 0, retryable: false, message: message ?? code, ...extra });
  }

  /** An error from a non-2xx REST answer: the body's code when it has one, else one derived from the status. */
  static fromResponse(status: number, body: unknown): ChatApiError {
    const bag = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const bodyCode = typeof bag.code === 'string' ? bag.code : null;
    const message = typeof bag.message === 'string' ? bag.message : undefined;
    const requestId = typeof bag.request_id === 'string' ? bag.request_id : null;
    const retryAfter = typeof bag.retry_after === 'number' ? bag.retry_after : null;
    const code = bodyCode ?? codeForStatus(status);
    const retryable = isErrorCode(code) ? ERROR_CODES[code].retryable : status === 429 || status >= 500;
    return new ChatApiError({ code, status, retryable, message: message ?? code, requestId, retryAfter });
  }

  /** A request that never got an answer (offline, DNS, CORS, connection reset): worth retrying. */
  static network(cause: unknown): ChatApiError {
    const detail = cause instanceof Error ? cause.message : String(cause);
    return new ChatApiError({ code: 'service_unavailable', status: 0, retryable: true, message: `Network error: ${detail}` });
  }
}

function codeForStatus(status: number): string {
  switch (status) {
    case 401: return 'auth_required';
    case 404: return 'not_found';
    case 405: return 'method_not_allowed';
    case 413: return 'payload_too_large';
    case 415: return 'unsupported_media_type';
    case 422: return 'validation_error';
    case 429: return 'rate_limited';
    case 503: return 'service_unavailable';
    default: return status >= 500 ? 'internal_error' : `http_${status}`;
  }
}

/**
 * Why a send() was rejected without the server refusing the message: the client gave up (`failed`)
 * or was closed before the message was acknowledged. `code` is the failure's wire code (the one in
 * the snapshot's `error`, e.g. `service_unavailable` after the last reconnect attempt,
 * `tenant_mismatch`, `auth_required`) or `not_joined` for `close()`.
 *
 * The message is not lost: it stays in the snapshot with status `failed` and the client keeps it,
 * so `retry()` (or `connect()` after `close()`) resends it with the same `clientMessageId` and the
 * server stores it at most once even if it had already received it. Do not send its text again
 * yourself (that would be a second message); call `discard(clientMessageId)` to drop it.
 */
export class UndeliveredMessageError extends ChatApiError {
  readonly clientMessageId: string;
  /** The client's state that ended the wait: `failed` (it gave up) or `closed` (`close()`). */
  readonly clientState: 'failed' | 'closed';

  constructor(clientMessageId: string, clientState: 'failed' | 'closed', reason: ChatApiErrorInit) {
    super(reason);
    this.name = 'UndeliveredMessageError';
    this.clientMessageId = clientMessageId;
    this.clientState = clientState;
  }
}
