/**
 * The state a UI renders, as one immutable snapshot. A new snapshot object is made only when
 * something changed, so `useSyncExternalStore` and other identity-based stores re-render exactly
 * when they should.
 */
import type { Source } from '@miptech/protocol';

/**
 * Connection lifecycle:
 * `idle → connecting → joining → ready → reconnecting → connecting → … → closed | failed`.
 * `connecting` covers creating/resuming the chat over REST and opening the socket; `joining` is an
 * open socket waiting for `chat_joined`.
 */
export type ConnectionState = 'idle' | 'connecting' | 'joining' | 'ready' | 'reconnecting' | 'closed' | 'failed';

export interface ConnectionInfo {
  readonly state: ConnectionState;
  /** WebSocket close code that caused the change, when there was one. */
  readonly code: number | null;
  /** Human-readable cause of the change (close reason, error message, "gave up after 10 attempts"). */
  readonly reason: string | null;
  /** Reconnect attempt number; 0 while connected normally. */
  readonly attempt: number;
}

/**
 * `queued`: typed while not connected, waiting in the outbox. `sending`: on the wire, not yet
 * acknowledged. `sent`: acknowledged by `message_received`. `failed`: not acknowledged when the
 * client gave up (`failed` state) or was closed; its send() was rejected with an
 * UndeliveredMessageError, and it is kept: `retry()` (or `connect()` after `close()`) resends it
 * with the same client message id, `discard()` drops it. `streaming`: an answer being generated.
 * `complete` / `stopped` / `interrupted` / `error`: an answer's final state (`error` also marks a user
 * message the server refused, which is final).
 */
export type ChatMessageStatus =
  | 'queued'
  | 'sending'
  | 'sent'
  | 'failed'
  | 'streaming'
  | 'complete'
  | 'stopped'
  | 'error'
  | 'interrupted';

export interface ChatMessage {
  /** The server's message id, or a local id (`local_…`) until the server acknowledged it. */
  readonly id: string;
  /** Idempotency key the SDK sent with a user message; null for answers and foreign messages. */
  readonly clientMessageId: string | null;
  readonly role: 'user' | 'assistant';
  readonly content: string;
  readonly status: ChatMessageStatus;
  readonly sources: readonly Source[];
  /** ISO timestamp (the server's once known). */
  readonly createdAt: string;
  /** Wire error code when the message ended in `error`, `interrupted` or `failed` (the failure's code). */
  readonly errorCode?: string;
}

export interface ChatError {
  readonly code: string;
  readonly message: string;
}

export interface ChatSnapshot {
  readonly connection: ConnectionInfo;
  readonly chatId: string | null;
  readonly messages: readonly ChatMessage[];
  /** true while an answer is being generated. */
  readonly isTyping: boolean;
  /** Text so far of the answer being generated (the guide's hook field); '' when none. */
  readonly streamingContent: string;
  /** The last error reported to the visitor; cleared by a successful join or a new message. */
  readonly error: ChatError | null;
  /** Highest chat event `seq` received; sent as `last_seq` when rejoining. */
  readonly lastSeq: number;
  /**
   * Whether the server has messages older than the oldest one loaded (`loadOlder()` fetches them).
   * false until a history page said otherwise.
   */
  readonly hasOlder: boolean;
  /** true while `loadOlder()` is reading a page. */
  readonly isLoadingOlder: boolean;
}
