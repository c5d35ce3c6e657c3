/**
 * Continuing an answer whose node died, instead of ending it as interrupted.
 *
 * The lease sweeper that claimed the answer (the store's compare-and-set: of several racing
 * sweepers exactly one gets it) rebuilds the text the clients already hold from the chat's event
 * log and, when the engine can continue, hands the answer to this node's chat service, which
 * generates the rest from there: the visitor sees one answer that goes on (its first new chunk is
 * marked `continued`, chunk indexes go on), then one response_complete, and the stored message is
 * the whole text once.
 *
 * Only from a log that outlives its process (Redis): the in-process log dies with the node, and
 * then nothing says what the visitor saw. A continuation needs the log to reach back to the
 * answer's start (its `processing` or `response_start` is retained) with no chunk missing;
 * otherwise, or when the engine cannot continue, the sweeper keeps the interrupted ending.
 */
import type { ChatEvent } from '../backend/events/chat-event-log.ts';
import type { AnswerEngine } from '../engines/answer-engine.ts';
import type { MessageRecord, Store, TenantRecord } from '../store/store.ts';

/** What the clients of an answer already hold. */
export interface PartialAnswer {
  /** The concatenation of the chunks sent, in order. */
  content: string;
  /** The chunk_index the next chunk gets. */
  nextChunkIndex: number;
}

export interface RebuiltAnswer {
  /** The text of the chunks from index 0 up to the first one missing ('' when chunk 0 is missing). */
  content: string;
  /** Whether chunk 0 was found (else the log did not keep the text). */
  hasFirstChunk: boolean;
  /**
   * The exact text sent, when the log proves it: the answer's start is retained and its chunks run
   * from 0 to the last one without a gap. Null when some of it may be lost.
   */
  partial: PartialAnswer | null;
}

/** Rebuilds the text of answer `messageId` from the chat's retained events. */
export function rebuildPartialAnswer(events: readonly ChatEvent[], messageId: string): RebuiltAnswer {
  const chunks = new Map<number, string>();
  let started = false;
  let highest = -1;
  for (const event of events) {
    if (event.messageId !== messageId) continue;
    if (event.type === 'processing' || event.type === 'response_start') started = true;
    if (event.type !== 'response_chunk') continue;
    const index = event.data.chunk_index;
    const content = event.data.content;
    if (typeof index !== 'number' || typeof content !== 'string' || chunks.has(index)) continue;
    chunks.set(index, content);
    highest = Math.max(highest, index);
  }
  let content = '';
  let next = 0;
  for (; chunks.has(next); next += 1) content += chunks.get(next);
  const complete = started && next === highest + 1;
  return { content, hasFirstChunk: chunks.has(0), partial: complete ? { content, nextChunkIndex: next } : null };
}

/** An answer to continue on this node, as the chat service runs it (ChatService.continueAnswer). */
export interface ContinuationRun {
  tenant: TenantRecord;
  chatId: string;
  userMessage: MessageRecord;
  /** The claimed streaming row. */
  assistant: MessageRecord;
  continuation: PartialAnswer;
  /** The owner the sweeper claimed the lease as: the continuation renews it as that owner. */
  leaseOwner: string;
  /** The chat's visitor: the continuation counts against the same daily token budget. */
  visitorId: string | null;
}

export interface ContinuationDeps {
  store: Store;
  engine: AnswerEngine;
  /** Starts the continued generation in the background (tracked for stop and drain). */
  run(continuation: ContinuationRun): void;
}

/** Why an answer was not continued (it then ends as interrupted). */
export type ContinuationRefusal = 'engine-cannot-continue' | 'question-not-found';

/**
 * Starts continuing a claimed answer. Resolves `started` once its generation runs in the
 * background; a refusal leaves the answer to the sweeper's interrupted ending. A continuation
 * found impossible later (the engine's text does not begin with the partial one) ends as
 * interrupted inside the generation (CannotContinueError).
 */
export async function startContinuation(
  deps: ContinuationDeps,
  assistant: MessageRecord,
  partial: PartialAnswer,
  leaseOwner: string,
): Promise<'started' | ContinuationRefusal> {
  if (!deps.engine.canContinue) return 'engine-cannot-continue';
  if (!assistant.replyTo) return 'question-not-found';
  const [tenant, userMessage, chat] = await Promise.all([
    deps.store.tenants.get(assistant.tenantId),
    deps.store.messages.get(assistant.tenantId, assistant.replyTo),
    deps.store.chats.get(assistant.tenantId, assistant.chatId),
  ]);
  if (!tenant || !userMessage || !chat) return 'question-not-found';
  deps.run({ tenant, chatId: assistant.chatId, userMessage, assistant, continuation: partial, leaseOwner, visitorId: chat.visitorId });
  return 'started';
}
