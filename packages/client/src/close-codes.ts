/**
 * What the client makes of a WebSocket close code. The numbers and the reconnect rule are the
 * protocol's (`CLOSE_CODES`, `shouldReconnect` in @miptech/protocol, the one table server and SDK
 * share, bundled into the widget like the rest of the protocol); this module only adds the error a
 * terminal close reports and the words a UI shows, keyed by those names so no number is copied.
 */
import { CLOSE_CODES, type ErrorCode } from '@miptech/protocol';

/**
 * The close the client sends on a socket that stayed silent for two heartbeat intervals. Only the
 * client uses it (the server closes a silent connection with 1001), so it is not in the protocol's
 * table; the lost connection is then handled as CLOSE_CODES.abnormal.
 */
export const HEARTBEAT_LOST_CLOSE_CODE = 4000;

/** The error code a terminal close stands for, when no error frame came before it. */
const TERMINAL_CLOSE_ERRORS: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [CLOSE_CODES.policyViolation, 'tenant_required'],
  [CLOSE_CODES.badFirstFrame, 'join_required'],
  [CLOSE_CODES.unauthorized, 'auth_required'],
  [CLOSE_CODES.forbidden, 'chat_access_denied'],
  [CLOSE_CODES.joinTimeout, 'join_timeout'],
]);

const DESCRIPTIONS: ReadonlyMap<number, string> = new Map<number, string>([
  [CLOSE_CODES.normal, 'Connection closed'],
  [CLOSE_CODES.goingAway, 'Server restarting'],
  [CLOSE_CODES.abnormal, 'Connection lost'],
  [CLOSE_CODES.policyViolation, 'Connection refused by policy (check tenant_id and configuration)'],
  [CLOSE_CODES.internalError, 'Server error'],
  [CLOSE_CODES.serviceRestart, 'Server restarting'],
  [CLOSE_CODES.tryAgainLater, 'Server busy, trying again later'],
  [CLOSE_CODES.badFirstFrame, 'Protocol error: expected join_chat first'],
  [CLOSE_CODES.unauthorized, 'Authentication required or token invalid'],
  [CLOSE_CODES.forbidden, 'Access denied (tenant or permissions)'],
  [CLOSE_CODES.joinTimeout, 'join_chat not sent in time'],
]);

/** The error code for a terminal close, or null when the code names none (the caller's fallback applies). */
export function closeCodeError(code: number): ErrorCode | null {
  return TERMINAL_CLOSE_ERRORS.get(code) ?? null;
}

/** A readable reason for a close that came without one. */
export function describeClose(code: number): string {
  return DESCRIPTIONS.get(code) ?? `Connection closed (${code})`;
}
