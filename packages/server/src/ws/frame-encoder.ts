/**
 * Server frames on the wire. Every frame carries `tenant_id` and an `event_ts` that is strictly
 * increasing per connection, so it differs per socket. A chat event going to many sockets is
 * therefore serialised once, without its closing brace (the "prefix"), and each socket only
 * appends its own `,"event_ts":N}` — the hot path of a broadcast is one string concatenation.
 */
import type { ServerFrameType } from '@miptech/protocol';
import type { ChatEvent } from '../events/chat-event-log.ts';

const prefixes = new WeakMap<ChatEvent, string>();

/** The serialised chat event without its closing brace; computed once per event object. */
export function chatEventPrefix(event: ChatEvent): string {
  let prefix = prefixes.get(event);
  if (prefix === undefined) {
    const frame: Record<string, unknown> = { type: event.type, chat_id: event.chatId };
    if (event.messageId !== null) frame.message_id = event.messageId;
    frame.seq = event.seq;
    frame.tenant_id = event.tenantId;
    frame.data = event.data;
    prefix = JSON.stringify(frame).slice(0, -1);
    prefixes.set(event, prefix);
  }
  return prefix;
}

/** Completes a prefix with this connection's event_ts. */
export function completeFrame(prefix: string, eventTs: number): string {
  return `${prefix},"event_ts":${eventTs}}`;
}

export interface DirectFrame {
  type: ServerFrameType;
  data: Record<string, unknown>;
  chatId?: string | null;
  messageId?: string | null;
}

/** A frame for one connection only (handshake, join, ping, connection errors). */
export function encodeDirectFrame(frame: DirectFrame, tenantId: string | null, eventTs: number): string {
  const out: Record<string, unknown> = { type: frame.type };
  if (frame.chatId) out.chat_id = frame.chatId;
  if (frame.messageId) out.message_id = frame.messageId;
  out.tenant_id = tenantId;
  out.data = frame.data;
  out.event_ts = eventTs;
  return JSON.stringify(out);
}
