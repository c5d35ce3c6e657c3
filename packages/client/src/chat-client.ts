/**
 * The public face of the SDK: `createChatClient(options)` and the `ChatClient` it returns.
 */
import type { ServerFrame, ServerFrameType } from '@miptech/protocol';
import type { ChatClientOptions } from './chat-client-options.ts';
import type { ChatSnapshot } from './chat-snapshot.ts';
import { ChatClientController } from './chat-client-controller.ts';

/** What `send()` resolves with: the server's acknowledgement (`message_received`). */
export interface SentMessage {
  /** Server message id. */
  id: string;
  clientMessageId: string;
  chatId: string;
  content: string;
  createdAt: string;
  /** true when the server had already stored this message (a resend after a reconnect). */
  duplicate: boolean;
}

export type SnapshotListener = () => void;
export type ServerFrameListener<T extends ServerFrameType> = (frame: ServerFrame<T>) => void;

export interface ChatClient {
  /**
   * Creates or resumes the chat, connects and joins. Resolves once the client is `ready`; rejects
   * with a ChatApiError when it ends in `failed` or is closed first. Calling it again while
   * connecting returns the same promise; after `close()` it starts over.
   */
  connect(): Promise<void>;
  /**
   * Sends a user message. While not ready it waits in the outbox (status `queued`) and is delivered
   * once after the (re)join, always with the same client message id. The promise always settles:
   * - resolves with the server's acknowledgement;
   * - rejects with a ChatApiError when the server refuses the message (status `error`, final);
   * - rejects with an UndeliveredMessageError (a ChatApiError with the failure's code) when the
   *   client ends in `failed` or is closed first, or is `failed` already. The message then shows as
   *   `failed` and is kept: `retry()` / `connect()` resend it under the same client message id
   *   (never a duplicate on the server), `discard()` drops it.
   * A client already `closed` rejects at once with `not_joined` and keeps nothing.
   */
  send(text: string): Promise<SentMessage>;
  /** Asks the server to stop the answer being generated (no-op when there is none). */
  stop(): void;
  /**
   * Starts over from `failed` (fresh token, attempts reset) and resends the `failed` messages.
   * No-op in any other state.
   */
  retry(): void;
  /**
   * Drops a `failed` message (from the snapshot and the outbox) so no retry resends it. Returns
   * false for any other message. It does not unsend: a message whose acknowledgement was lost may
   * already be stored, and then comes back with the history.
   */
  discard(clientMessageId: string): boolean;
  /**
   * Reads the page of history before the oldest message loaded (`GET /api/v1/chat/{id}/messages
   * ?before=`) and puts it in front, without duplicates. `hasOlder` and `isLoadingOlder` in the
   * snapshot follow it; a call while one is running returns the same promise; with nothing older
   * (or no chat yet) it resolves at once. Rejects with a ChatApiError (also shown as the snapshot's
   * `error`) when the page cannot be read.
   */
  loadOlder(): Promise<void>;
  /**
   * Closes the socket for good. Sends not yet acknowledged are rejected (UndeliveredMessageError,
   * code `not_joined`) and kept as `failed`: a later `connect()` resends them.
   */
  close(): void;
  /** Called after every snapshot change; returns the unsubscribe function. */
  subscribe(listener: SnapshotListener): () => void;
  /** The current immutable snapshot (a new object only when something changed). */
  getSnapshot(): ChatSnapshot;
  /**
   * One canonical event per server frame, named by the frame's `type`, delivered after the snapshot
   * was updated. Replayed duplicates (same `seq`) are not delivered twice.
   */
  on<T extends ServerFrameType>(type: T, listener: ServerFrameListener<T>): () => void;
}

/** Creates a client. Nothing happens on the network until `connect()`. */
export function createChatClient(options: ChatClientOptions): ChatClient {
  return new ChatClientController(options);
}
