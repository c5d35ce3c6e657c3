/**
 * The one table of error codes. Every error the platform reports, over REST or in a WebSocket
 * `error` frame, carries one of these codes. Server and SDK both read this table, so a client can
 * decide what to do (retry, refresh a token, give up) from the code alone.
 */
import { CLOSE_CODES, type CloseCode } from './close-codes.ts';

export interface ErrorCodeSpec {
  /** HTTP status used when the error answers a REST request. */
  readonly status: number;
  /**
   * WebSocket close code when the error ends the connection, or `null` when the socket stays open
   * (the error is reported in an `error` frame only).
   */
  readonly close: CloseCode | null;
  /** Whether the same request may succeed later without any change by the client. */
  readonly retryable: boolean;
  /** Default human-readable message. */
  readonly message: string;
}

export const ERROR_CODES = {
  // Authentication and authorisation (guide §8).
  auth_required: { status: 401, close: CLOSE_CODES.unauthorized, retryable: false, message: 'Authentication required' },
  invalid_token: { status: 401, close: CLOSE_CODES.unauthorized, retryable: false, message: 'Invalid token' },
  token_expired: { status: 401, close: CLOSE_CODES.unauthorized, retryable: false, message: 'Token expired' },
  token_not_renewable: { status: 401, close: CLOSE_CODES.unauthorized, retryable: false, message: 'This token cannot be renewed' },
  token_revoked: { status: 401, close: CLOSE_CODES.unauthorized, retryable: false, message: 'Token revoked' },
  invalid_api_key: { status: 401, close: CLOSE_CODES.unauthorized, retryable: false, message: 'Invalid API key' },
  tenant_mismatch: { status: 403, close: CLOSE_CODES.forbidden, retryable: false, message: 'Token does not belong to this tenant' },
  insufficient_scope: { status: 403, close: CLOSE_CODES.forbidden, retryable: false, message: 'Token lacks the required scope' },
  origin_not_allowed: { status: 403, close: CLOSE_CODES.forbidden, retryable: false, message: 'Origin not allowed for this tenant' },
  chat_access_denied: { status: 403, close: CLOSE_CODES.forbidden, retryable: false, message: 'Chat not available' },

  // Configuration of the connection (guide §7: close 1008 before anything else happens).
  tenant_required: { status: 400, close: CLOSE_CODES.policyViolation, retryable: false, message: 'tenant_id required' },
  tenant_not_found: { status: 400, close: CLOSE_CODES.policyViolation, retryable: false, message: 'Unknown tenant' },

  // WebSocket protocol.
  join_required: { status: 400, close: CLOSE_CODES.badFirstFrame, retryable: false, message: 'Expected join_chat as first message' },
  join_timeout: { status: 408, close: CLOSE_CODES.joinTimeout, retryable: false, message: 'join_chat not received in time' },
  invalid_frame: { status: 400, close: null, retryable: false, message: 'Frame is not valid JSON with a type' },
  unknown_frame_type: { status: 400, close: null, retryable: false, message: 'Unknown frame type' },
  binary_not_supported: { status: 400, close: null, retryable: false, message: 'Binary frames are not supported' },
  message_too_large: { status: 413, close: null, retryable: false, message: 'Message too large' },
  already_joined: { status: 409, close: null, retryable: false, message: 'Connection already joined a chat' },
  not_joined: { status: 409, close: null, retryable: false, message: 'join_chat first' },
  heartbeat_timeout: { status: 408, close: CLOSE_CODES.goingAway, retryable: true, message: 'Heartbeat not answered' },
  server_shutting_down: { status: 503, close: CLOSE_CODES.goingAway, retryable: true, message: 'Server restarting' },
  too_many_connections: { status: 429, close: CLOSE_CODES.tryAgainLater, retryable: true, message: 'Too many connections; try again later' },
  invalid_upgrade: { status: 400, close: null, retryable: false, message: 'Not a valid WebSocket upgrade request' },

  // Requests.
  invalid_json: { status: 400, close: null, retryable: false, message: 'Body is not valid JSON' },
  bad_request: { status: 400, close: null, retryable: false, message: 'Malformed HTTP request' },
  request_timeout: { status: 408, close: null, retryable: false, message: 'The request did not arrive in time' },
  uri_too_long: { status: 414, close: null, retryable: false, message: 'URL too long' },
  headers_too_large: { status: 431, close: null, retryable: false, message: 'Request headers too large' },
  validation_error: { status: 422, close: null, retryable: false, message: 'Validation error' },
  payload_too_large: { status: 413, close: null, retryable: false, message: 'Payload too large' },
  unsupported_media_type: { status: 415, close: null, retryable: false, message: 'Unsupported content type' },
  not_found: { status: 404, close: null, retryable: false, message: 'Not found' },
  method_not_allowed: { status: 405, close: null, retryable: false, message: 'Method not allowed' },
  chat_not_found: { status: 404, close: null, retryable: false, message: 'Chat not found' },
  message_not_found: { status: 404, close: null, retryable: false, message: 'Message not found' },
  document_not_found: { status: 404, close: null, retryable: false, message: 'Document not found' },
  session_conflict: { status: 409, close: null, retryable: false, message: 'Session belongs to another visitor' },
  conflict: { status: 409, close: null, retryable: false, message: 'Conflict' },
  rate_limited: { status: 429, close: null, retryable: true, message: 'Too many requests' },

  // Availability (guide §3: the client retries these with backoff).
  db_not_ready: { status: 503, close: CLOSE_CODES.internalError, retryable: true, message: 'Database not ready' },
  schema_unavailable: { status: 503, close: CLOSE_CODES.internalError, retryable: true, message: 'Database schema not ready' },
  service_unavailable: { status: 503, close: CLOSE_CODES.internalError, retryable: true, message: 'Service unavailable' },
  internal_error: { status: 500, close: CLOSE_CODES.internalError, retryable: true, message: 'Internal error' },

  // Answer generation (reported in an `error` frame followed by a terminal response_complete).
  ai_unavailable: { status: 502, close: null, retryable: true, message: 'The answer engine is unavailable' },
  ai_rate_limited: { status: 429, close: null, retryable: true, message: 'The answer engine is rate limited' },
  ai_timeout: { status: 504, close: null, retryable: true, message: 'The answer engine timed out' },
  ai_auth_failed: { status: 502, close: null, retryable: false, message: 'The answer engine rejected our credentials' },
  ai_bad_request: { status: 502, close: null, retryable: false, message: 'The answer engine rejected the request' },
  generation_interrupted: { status: 503, close: null, retryable: true, message: 'The answer was interrupted' },
  generation_failed: { status: 500, close: null, retryable: true, message: 'The answer could not be generated' },
  // Cost control: a daily token budget (visitor or tenant) is spent; retry_after is the seconds to the next UTC day.
  budget_exceeded: { status: 429, close: null, retryable: true, message: 'Daily token budget exceeded' },
  // Cost control: the tenant's cap on model calls at once stayed full for the whole wait.
  model_busy: { status: 429, close: null, retryable: true, message: 'Too many answers at once for this tenant' },
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CODES, value);
}

export function errorSpec(code: ErrorCode): ErrorCodeSpec {
  return ERROR_CODES[code];
}

/** Codes the guide tells clients to retry REST calls on (§3 RETRYABLE_CODES, §8). */
export const RETRYABLE_REST_CODES: ReadonlySet<ErrorCode> = new Set(
  (Object.keys(ERROR_CODES) as ErrorCode[]).filter((code) => ERROR_CODES[code].retryable),
);

/** Codes that mean "your credentials are the problem": SDKs surface them as auth errors. */
export const AUTH_ERROR_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'auth_required',
  'invalid_token',
  'token_expired',
  'token_not_renewable',
  'token_revoked',
  'tenant_mismatch',
  'insufficient_scope',
  'origin_not_allowed',
]);

/** REST error body: `{code, message, request_id}` plus `detail` (422) or `retry_after` (429/503). */
export interface ErrorBody {
  code: ErrorCode;
  message: string;
  request_id: string;
  detail?: ValidationDetail[];
  retry_after?: number;
}

export interface ValidationDetail {
  /** Location of the offending value, e.g. `['body', 'session_id']`. */
  loc: Array<string | number>;
  msg: string;
  type?: string;
}
