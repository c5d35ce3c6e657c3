/**
 * Turns one text frame from any client generation into a normalised ClientFrame.
 *
 * Deployed widgets send snake_case or camelCase ids, the message text as `text` (guide),
 * `message` (live widget) or `content`, ids inside `data` or at the top level, and extra envelope
 * keys. Unknown keys are ignored. The parser never throws.
 */
import type { ClientFrame } from './frames.ts';
import type { ErrorCode } from './error-codes.ts';

export type ParseResult =
  | { ok: true; frame: ClientFrame }
  | { ok: false; code: ErrorCode; message: string; type?: string };

/** Longest user message the platform stores, in characters. */
export const MAX_MESSAGE_CHARS = 8000;

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
      return {
        ok: true,
        frame: {
          type: 'join_chat',
          chat_id: pickString(data, top, 'chat_id', 'chatId'),
          tenant_id: pickString(data, top, 'tenant_id', 'tenantId'),
          token: pickString(data, top, 'token', 'access_token', 'accessToken'),
          create: data.create === true || top.create === true,
          session_id: pickString(data, top, 'session_id', 'sessionId'),
          last_seq: lastSeq !== null && lastSeq >= 0 ? Math.floor(lastSeq) : null,
          channel: pickString(data, top, 'channel'),
        },
      };
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
      return {
        ok: true,
        frame: {
          type: 'user_message',
          chat_id: pickString(data, top, 'chat_id', 'chatId'),
          text,
          client_message_id: pickString(data, top, 'client_message_id', 'clientMessageId', 'message_id', 'messageId'),
          stream: data.stream !== false,
        },
      };
    }
    case 'stop_generation':
      return {
        ok: true,
        frame: {
          type: 'stop_generation',
          chat_id: pickString(data, top, 'chat_id', 'chatId'),
          message_id: pickString(data, top, 'message_id', 'messageId'),
        },
      };
    case 'ping':
    case 'pong':
      return { ok: true, frame: { type, ts: pickNumber(data, top, 'ts', 'timestamp') } };
    default:
      return { ok: false, code: 'unknown_frame_type', message: `Unknown frame type "${type.slice(0, 64)}"`, type };
  }
}
