/**
 * Server frames on the wire, all built by `serverFrame` of @miptech/protocol (data typed per frame
 * type). Every frame carries `tenant_id` and an `event_ts` that is strictly increasing per
 * connection, so it differs per socket. A chat event going to many sockets is therefore serialised
 * once, without its closing brace (the "prefix"), and each socket only appends its own
 * `,"event_ts":N}` — the hot path of a broadcast is one string concatenation. The prefix is the
 * text `serverFrame` would give, built directly (the tests hold the two to the same bytes).
 */
import type { ServerFrame, ServerFrameType } from '@miptech/protocol';
import type { ChatEvent } from '../backend/events/chat-event-log.ts';

/**
 * The serialised chat event without its closing brace: the same text as serialising
 * `{type, chat_id, message_id?, seq, tenant_id, data}`, built directly (no frame object to
 * allocate, no copy to cut the brace off). The chat's room encodes each event once for all its
 * sockets; nothing is cached on or beside the event, since events are retained for replay and a
 * cached text would double what they keep alive.
 */
export function chatEventPrefix(event: ChatEvent): string {
  const messageId = event.messageId === null ? '' : `,"message_id":${JSON.stringify(event.messageId)}`;
  return `{"type":${JSON.stringify(event.type)},"chat_id":${JSON.stringify(event.chatId)}${messageId},"seq":${event.seq},"tenant_id":${JSON.stringify(event.tenantId)},"data":${JSON.stringify(event.data)}`;
}

/**
 * chatEventPrefix for a stream of events of one chat: the events of an answer share their type
 * (response_chunk), chat, message and tenant, so the serialised head and the text between seq
 * and data are kept from the previous event and only seq and data are serialised (a third of
 * the encoding time of a chunk). One per chat room; it keeps two strings, not the events.
 */
export class ChatEventEncoder {
  private type: ChatEvent['type'] | null = null;
  private chatId = '';
  private messageId: string | null = null;
  private tenantId = '';
  /** `{"type":…,"chat_id":…,"message_id":…,"seq":` of the remembered event. */
  private head = '';
  /** `,"tenant_id":…,"data":` of the remembered event. */
  private middle = '';

  prefix(event: ChatEvent): string {
    if (this.head === '' || event.type !== this.type || event.chatId !== this.chatId || event.messageId !== this.messageId || event.tenantId !== this.tenantId) {
      const messageId = event.messageId === null ? '' : `,"message_id":${JSON.stringify(event.messageId)}`;
      this.type = event.type;
      this.chatId = event.chatId;
      this.messageId = event.messageId;
      this.tenantId = event.tenantId;
      this.head = `{"type":${JSON.stringify(event.type)},"chat_id":${JSON.stringify(event.chatId)}${messageId},"seq":`;
      this.middle = `,"tenant_id":${JSON.stringify(event.tenantId)},"data":`;
    }
    return `${this.head}${event.seq}${this.middle}${JSON.stringify(event.data)}`;
  }
}

/** Completes a prefix with this connection's event_ts. */
export function completeFrame(prefix: string, eventTs: number): string {
  return `${prefix},"event_ts":${eventTs}}`;
}

/** A frame for one connection only (handshake, join, ping, connection errors): built by `serverFrame`. */
export function encodeFrame<T extends ServerFrameType>(frame: ServerFrame<T>): string {
  return JSON.stringify(frame);
}
