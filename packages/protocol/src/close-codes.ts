/** WebSocket close codes used by the platform (guide §8). */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  abnormal: 1006,
  policyViolation: 1008,
  internalError: 1011,
  serviceRestart: 1012,
  tryAgainLater: 1013,
  badFirstFrame: 4400,
  unauthorized: 4401,
  forbidden: 4403,
  joinTimeout: 4408,
} as const;

export type CloseCode = (typeof CLOSE_CODES)[keyof typeof CLOSE_CODES];

/** Close codes after which a client must not reconnect on its own (guide §7, §8). */
const TERMINAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CLOSE_CODES.normal,
  CLOSE_CODES.policyViolation,
  CLOSE_CODES.badFirstFrame,
  CLOSE_CODES.unauthorized,
  CLOSE_CODES.forbidden,
  CLOSE_CODES.joinTimeout,
]);

/**
 * Whether a client should reconnect after the socket closed with `code`.
 * 1001 (rolling deploy), 1006 (network loss), 1011, 1012, 1013 and unknown codes reconnect;
 * 1000, 1008 and 44xx do not. A 4401 may be retried once with a fresh token — that is the SDK's
 * decision, not this table's.
 */
export function shouldReconnect(code: number): boolean {
  if (TERMINAL_CLOSE_CODES.has(code)) return false;
  if (code >= 4400 && code < 4500) return false;
  return true;
}
