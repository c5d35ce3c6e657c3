/**
 * The bounds of every client-supplied field, in one place for every entry point: the WebSocket
 * frame parser (parse-client-frame.ts) and the server's REST route schemas read them from here, so
 * a session id, channel or client message id refused over REST is refused over WebSocket too.
 */

/** Longest user message the platform stores, in characters. */
export const MAX_MESSAGE_CHARS = 8000;

export const FIELD_BOUNDS = {
  messageChars: MAX_MESSAGE_CHARS,
  /** Chat ids, message ids, client message ids and history cursors. */
  idChars: 128,
  /** A visitor's session id: printable ASCII without spaces (it travels in a cookie). */
  sessionIdChars: 128,
  tenantIdChars: 64,
  visitorIdChars: 128,
  chatTitleChars: 200,
  channelChars: 64,
  /** A widget token (JWT) in `join_chat`, or the previous token a renewal presents. */
  tokenChars: 8192,
  /** The chat's `context` object, as JSON. */
  contextJsonBytes: 8192,
  /** Deepest nesting accepted in an object field (a deeper body would overflow JSON.stringify's stack). */
  jsonDepth: 32,
  publishableKeyChars: 256,
  previousTokenChars: 8192,
  historyPageMax: 200,
  historyPageDefault: 50,
  documentTitleChars: 500,
  urlChars: 2048,
  externalIdChars: 2048,
  documentPageMax: 200,
  documentPageDefault: 50,
  documentOffsetMax: 1_000_000_000,
  searchQueryChars: 2000,
  searchLimitMax: 50,
  searchLimitDefault: 5,
} as const;

/** Ids the platform generates and accepts in paths and cursors. */
export const ID_PATTERN = '^[A-Za-z0-9_-]+$';
/** Session ids: printable ASCII without spaces; empty means "none". */
export const SESSION_ID_PATTERN = '^[\\x21-\\x7e]*$';

const SESSION_ID_REGEX = new RegExp(SESSION_ID_PATTERN);

/**
 * Why a visitor session id is refused (too long, or characters a cookie cannot carry), or null
 * when it is acceptable. The reason names the field, never echoes the value.
 */
export function sessionIdProblem(value: string): string | null {
  if (value.length > FIELD_BOUNDS.sessionIdChars) return `session_id longer than ${FIELD_BOUNDS.sessionIdChars} characters`;
  if (!SESSION_ID_REGEX.test(value)) return 'session_id must be printable ASCII without spaces';
  return null;
}
