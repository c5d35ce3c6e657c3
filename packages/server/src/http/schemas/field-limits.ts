/**
 * The bounds of REST request fields, in one place: the route schemas (which Fastify validates
 * with, and the OpenAPI document shows) read them from here. The message length comes from the
 * protocol, which the WebSocket path enforces too.
 */
import { MAX_MESSAGE_CHARS } from '@miptech/protocol';

export const FIELD_LIMITS = {
  messageChars: MAX_MESSAGE_CHARS,
  /** Chat ids, message ids, client message ids and history cursors. */
  idChars: 128,
  /** A visitor's session id: printable ASCII without spaces (it travels in a cookie). */
  sessionIdChars: 128,
  tenantIdChars: 64,
  visitorIdChars: 128,
  chatTitleChars: 200,
  channelChars: 64,
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
