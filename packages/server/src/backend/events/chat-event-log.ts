/**
 * The event seam. Every chat-scoped frame goes through here: `append` gives it the chat's next
 * `seq`, keeps it in a bounded retention window for replay, and delivers it to every subscriber
 * of the chat on every node. In-process on the embedded default; Redis when `REDIS_URL` is set.
 */
import type { ChatEventFrameType, ServerFrameDataMap } from '@miptech/protocol';

/** A chat event of one frame type: its `data` is that frame's data as the wire contract types it. */
export interface ChatEventOf<T extends ChatEventFrameType> {
  tenantId: string;
  chatId: string;
  seq: number;
  type: T;
  messageId: string | null;
  data: ServerFrameDataMap[T];
}

/** Any chat event, discriminated by `type` (checking `type` narrows `data`). */
export type ChatEvent = { [T in ChatEventFrameType]: ChatEventOf<T> }[ChatEventFrameType];

/** The part of an event that says what happened (`type` and its `data`), for code that fills in the ids once. */
export type ChatEventBody = { [T in ChatEventFrameType]: Pick<ChatEventOf<T>, 'type' | 'data'> }[ChatEventFrameType];

/** An event as appended: the log gives it its seq. Discriminated like ChatEvent (`Omit<ChatEvent, 'seq'>` would not be). */
export type NewChatEvent = { [T in ChatEventFrameType]: Omit<ChatEventOf<T>, 'seq'> }[ChatEventFrameType];

export type ChatEventListener = (event: ChatEvent) => void;

export interface ReplayResult {
  /** false when the retention window no longer reaches back to `afterSeq`: the client reloads history. */
  complete: boolean;
  /** Events with seq > afterSeq, in order. */
  events: ChatEvent[];
  /** Highest seq known for the chat (0 when it has none). */
  lastSeq: number;
}

export interface ChatEventLog {
  append(event: NewChatEvent): Promise<ChatEvent>;
  /** Live events of one chat from now on; returns the unsubscribe function. */
  subscribe(chatId: string, listener: ChatEventListener): () => void;
  replay(tenantId: string, chatId: string, afterSeq: number): Promise<ReplayResult>;
  /**
   * Optional: every event of the chat still retained, oldest first, even when the window no
   * longer reaches the chat's first event (the lease sweeper rebuilds an interrupted answer from
   * its chunks). A log that cannot offer more than `replay` leaves it out.
   */
  retained?(tenantId: string, chatId: string): Promise<ChatEvent[]>;
  /**
   * Optional: true when appended events outlive this process (another node reads them after it
   * died), as with Redis. Decides whether an answer's end is published before or after its row is
   * stored (see chat/answer-generation.ts). Absent means false.
   */
  readonly outlivesProcess?: boolean;
  /**
   * Optional: forgets every retained event of the chat (retention purge, visitor erasure) and
   * whatever else the log keeps under the chat's name. Resolves to the number of retained events
   * (in-process) or keys (Redis) deleted; 0 when there was nothing.
   */
  deleteChat?(tenantId: string, chatId: string): Promise<number>;
  close(): Promise<void>;
}
