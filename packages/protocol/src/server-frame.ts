/**
 * The one builder of server frames. The server sends nothing else: a frame for one socket is this
 * function's result serialised, and a chat event sent to many sockets is the same text built in
 * pieces (the server's ws/frame-encoder.ts, checked against this function by its tests). `data` is
 * typed by the frame type (ServerFrameDataMap), so a missing, misspelt or extra field of a frame
 * is a compile error where the frame is built, not a surprise in a client.
 */
import type { ServerFrame, ServerFrameDataMap, ServerFrameType } from './frames.ts';

/** Everything of a server frame besides `type` and `data` (see frames.ts for the envelope). */
export interface ServerFrameEnvelope {
  tenant_id: string;
  /** Milliseconds, strictly increasing per connection: the connection sets it. */
  event_ts: number;
  /** Left out of the frame when absent, null or empty. */
  chat_id?: string | null;
  /** Left out of the frame when absent, null or empty. */
  message_id?: string | null;
  /** Chat events only (per chat, strictly increasing). */
  seq?: number;
}

/**
 * A server frame of `type`. The keys come in the order clients have always received them:
 * `type, chat_id?, message_id?, seq?, tenant_id, data, event_ts`.
 */
export function serverFrame<T extends ServerFrameType>(type: T, data: ServerFrameDataMap[T], envelope: ServerFrameEnvelope): ServerFrame<T> {
  const frame: Record<string, unknown> = { type };
  if (envelope.chat_id) frame.chat_id = envelope.chat_id;
  if (envelope.message_id) frame.message_id = envelope.message_id;
  if (envelope.seq !== undefined) frame.seq = envelope.seq;
  frame.tenant_id = envelope.tenant_id;
  frame.data = data;
  frame.event_ts = envelope.event_ts;
  // Built key by key for the order above; the signature is what ties data to type.
  return frame as ServerFrame<T>;
}
