/**
 * Which answers' ends reached a socket of their chat. A client of the guide joins without
 * `last_seq`, so the server cannot tell what it saw; it sends such a join the end of the chat's
 * newest answer (the catch-up, chat/join-catch-up.ts) unless that end already reached a socket of
 * the chat — live, or as an earlier catch-up. The question is asked per chat, not per client: a
 * client of the guide carries nothing that tells two of them apart.
 *
 * This node-local version knows the ends delivered by this node (the embedded default, one node).
 * With Redis every node records them in Redis too (redis-delivered-answer-ends.ts), so a client
 * that saw an end on node A and moved to node B (1001 at a rolling deploy, another node behind the
 * load balancer) is not sent it again.
 */
import { LruMap } from '../base/lru-map.ts';

/** How long after its end an answer is still sent to a client that joins without `last_seq`. */
export const CATCH_UP_WINDOW_MS = 120_000;

/** Chats remembered per node; the oldest drop out (their answers are far past the window). */
const CHATS_REMEMBERED = 20_000;

export interface DeliveredAnswerEnds {
  /** The end (response_complete) of `messageId` was written to a joined socket of the chat. Cheap; never throws. */
  record(chatId: string, messageId: string): void;
  /** Whether the end of `messageId` is known to have reached a socket of the chat. Never rejects. */
  wasDelivered(chatId: string, messageId: string): Promise<boolean>;
  close(): Promise<void>;
}

/** The last answer end delivered per chat on this node (a chat's newer answer replaces the older one). */
export class LocalDeliveredAnswerEnds implements DeliveredAnswerEnds {
  private readonly lastEnd = new LruMap<string, string>(CHATS_REMEMBERED);

  /** True when this call is the first record of the end on this node (the caller may share it). */
  recordLocally(chatId: string, messageId: string): boolean {
    if (this.lastEnd.get(chatId) === messageId) return false;
    this.lastEnd.set(chatId, messageId);
    return true;
  }

  record(chatId: string, messageId: string): void {
    this.recordLocally(chatId, messageId);
  }

  knows(chatId: string, messageId: string): boolean {
    return this.lastEnd.get(chatId) === messageId;
  }

  async wasDelivered(chatId: string, messageId: string): Promise<boolean> {
    return this.knows(chatId, messageId);
  }

  async close(): Promise<void> {
    this.lastEnd.clear();
  }
}
