/**
 * Turns one text frame from any client generation into a normalised ClientFrame.
 *
 * Deployed widgets send snake_case or camelCase ids, the message text as `text` (guide),
 * `message` (live widget) or `content`, ids inside `data` or at the top level, and extra envelope
 * keys. Unknown keys are ignored. The parser never throws.
 *
 * Every field is held to FIELD_BOUNDS (field-bounds.ts), the bounds REST enforces: a field over
 * its bound is a `validation_error` whose message names the field and never echoes the value.
 */
import type { ClientFrame } from './frames.ts';
import type { ErrorCode } from './error-codes.ts';
import { FIELD_BOUNDS, MAX_MESSAGE_CHARS, sessionIdProblem } from './field-bounds.ts';

export type ParseResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: ErrorCode; message: string; type?: string };

type Bag = Record<string, unknown>;

function isBag(value: unknown): value is Bag {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function pickString(data: Bag, top: Bag, ...keys: string[]): string | null {
  for (const source of [data, top]) {
    for (const key of keys) {
      const value = source[key];
      if (typeof value === 'string' && value.length > 0) return value;
      if (typeof value === 'number' && Number.isFinite(value)) return String(value);
    }
  }
  return null;
}

/**
 * The message text: the first of `keys` present (data first, then top level). Unlike ids, text
 * must be a string: a number is not silently turned into "5" (the REST API refuses it too).
 */
function pickText(data: Bag, top: Bag, ...keys: string[]): { text: string | null; wrongType: boolean } {
  for (const source of [data, top]) {
    for (const key of keys) {
      const value = source[key];
      if (value === undefined || value === null || value === '') continue;
      if (typeof value !== 'string') return { text: null, wrongType: true };
      return { text: value, wrongType: false };
    }
  }
  return { text: null, wrongType: false };
}

function pickNumber(data: Bag, top: Bag, ...keys: string[]): number | null {
  for (const source of [data, top]) {
    for (const key of keys) {
      const value = source[key];
      if (typeof value === 'number' && Number.isFinite(value)) return value;
      if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
    }
  }
  return null;
}

/** Why the first field over its bound, or holding a NUL character, is refused; null when all fit. */
function overBound(fields: Record<string, [string | null, number]>): string | null {
  for (const [name, [value, bound]] of Object.entries(fields)) {
    if (value !== null && value.length > bound) return `${name} longer than ${bound} characters`;
    // PostgreSQL cannot store a NUL in text (the REST schemas refuse it too: request-validation.ts).
    if (value !== null && value.includes('\u0000')) return `${name} must not contain NUL characters`;
  }
  return null;
}

function invalid(message: string, type: string): ParseResult {
  return { ok: false, code: 'validation_error', message, type };
}

export function parseClientFrame(raw: string): ParseResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { ok: false, code: 'invalid_frame', message: 'Frame is not valid JSON' };
  }
  if (!isBag(parsed) || typeof parsed.type !== 'string') {
    return { ok: false, code: 'invalid_frame', message: 'Frame must be a JSON object with a string "type"' };
  }
  const top = parsed;
  const data: Bag = isBag(top.data) ? top.data : {};
  const type = top.type as string;

  switch (type) {
    case 'join_chat': {
      const lastSeq = pickNumber(data, top, 'last_seq', 'lastSeq');
      const frame = {
        type: 'join_chat' as const,
        chat_id: pickString(data, top, 'chat_id', 'chatId'),
        tenant_id: pickString(data, top, 'tenant_id', 'tenantId'),
        token: pickString(data, top, 'token', 'access_token', 'accessToken'),
        create: data.create === true || top.create === true,
        session_id: pickString(data, top, 'session_id', 'sessionId'),
        last_seq: lastSeq !== null && lastSeq >= 0 ? Math.floor(lastSeq) : null,
        channel: pickString(data, top, 'channel'),
      };
      const problem =
        overBound({
          chat_id: [frame.chat_id, FIELD_BOUNDS.idChars],
          tenant_id: [frame.tenant_id, FIELD_BOUNDS.tenantIdChars],
          token: [frame.token, FIELD_BOUNDS.tokenChars],
          channel: [frame.channel, FIELD_BOUNDS.channelChars],
        }) ?? (frame.session_id !== null ? sessionIdProblem(frame.session_id) : null);
      return problem ? invalid(problem, type) : { ok: true, frame };
    }
    case 'user_message':
    case 'chat_message': {
      const { text, wrongType } = pickText(data, top, 'text', 'message', 'content');
      if (wrongType) return { ok: false, code: 'validation_error', message: 'Message text must be a string', type };
      if (text === null || text.trim() === '') {
        return { ok: false, code: 'validation_error', message: 'Message text is required', type };
      }
      if (text.length > MAX_MESSAGE_CHARS) {
        return { ok: false, code: 'message_too_large', message: `Message longer than ${MAX_MESSAGE_CHARS} characters`, type };
      }
      const frame = {
        type: 'user_message' as const,
        chat_id: pickString(data, top, 'chat_id', 'chatId'),
        text,
        client_message_id: pickString(data, top, 'client_message_id', 'clientMessageId', 'message_id', 'messageId'),
        stream: data.stream !== false,
      };
      const problem = overBound({
        text: [frame.text, MAX_MESSAGE_CHARS],
        chat_id: [frame.chat_id, FIELD_BOUNDS.idChars],
        client_message_id: [frame.client_message_id, FIELD_BOUNDS.idChars],
      });
      return problem ? invalid(problem, type) : { ok: true, frame };
    }
    case 'stop_generation': {
      const frame = {
        type: 'stop_generation' as const,
        chat_id: pickString(data, top, 'chat_id', 'chatId'),
        message_id: pickString(data, top, 'message_id', 'messageId'),
      };
      const problem = overBound({
        chat_id: [frame.chat_id, FIELD_BOUNDS.idChars],
        message_id: [frame.message_id, FIELD_BOUNDS.idChars],
      });
      return problem ? invalid(problem, type) : { ok: true, frame };
    }
    case 'ping':
    case 'pong':
      return { ok: true, frame: { type, ts: pickNumber(data, top, 'ts', 'timestamp') } };
    default:
      return { ok: false, code: 'unknown_frame_type', message: `Unknown frame type "${type.slice(0, 64)}"`, type };
  }
}
