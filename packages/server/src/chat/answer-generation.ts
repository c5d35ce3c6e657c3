/**
 * Generates one assistant answer: retrieval → engine stream → events → stored message.
 *
 * Whatever happens (success, stop, engine failure, shutdown), the answer ends with exactly one
 * `response_complete` whose `content` is the concatenation of the chunks sent, and the stored
 * message carries the same text and a final status. The row is inserted as `streaming` with a
 * lease renewed while generating, so another node can tell a crashed generation from a slow one;
 * when a lease sweeper took the answer over (this node was slow), the sweeper's end is the only one.
 */
import { ERROR_CODES, type ErrorCode, type MessageStatus, type Source } from '@miptech/protocol';
import { CannotContinueError, type AnswerEngine, type ConversationTurn } from '../engines/answer-engine.ts';
import { passageToSource } from '../engines/cited-sources.ts';
import { estimateTokens } from '../engines/estimate-tokens.ts';
import { isAppError } from '../base/errors.ts';
import type { ChatEventBody, ChatEventLog } from '../backend/events/chat-event-log.ts';
import type { KnowledgeIndex, Passage } from '../store/knowledge-index.ts';
import type { Logger } from '../base/logger.ts';
import { databaseUnavailableError } from '../store/database-unavailable.ts';
import type { PlatformMetrics } from '../observability/platform-metrics.ts';
import type { MessageRecord, Store, TenantRecord } from '../store/store.ts';
import { systemClock, type Clock } from '../base/clock.ts';
import { publishAnswerEnd } from './answer-end.ts';
import type { ModelCallAdmission, ModelCallGate } from './model-call-gate.ts';

/** Why an answer was aborted: the visitor stopped it, the node is shutting down, or a lease sweeper took it over. */
export type AbortReason = 'stop' | 'shutdown' | 'lease-lost';

export interface GenerationDeps {
  store: Store;
  knowledge: KnowledgeIndex;
  engine: AnswerEngine;
  eventLog: ChatEventLog;
  logger: Logger;
  nodeId: string;
  /** How long a lease holds; renewed every third of it. */
  leaseMs: number;
  /** Records time to first chunk and answer duration. */
  metrics?: PlatformMetrics;
  /** Times the lease renewal and its expiry. @default systemClock */
  clock?: Clock;
  /** Cost control before each model call (token budgets, the tenant's cap on calls at once). */
  modelCalls?: ModelCallGate;
}

export interface GenerationInput {
  tenant: TenantRecord;
  chatId: string;
  userMessage: MessageRecord;
  /** The assistant row, already inserted as `streaming`. */
  assistant: MessageRecord;
  controller: AbortController;
  /**
   * Called when the terminal event is about to be published before the row is stored (shared
   * event log): from then until generateAnswer resolves, a client may know the answer ended while
   * its row is not stored yet.
   */
  onEnding?: () => void;
  /** The chat's visitor (its sub), whose daily token budget the answer counts against. */
  visitorId?: string | null;
  /**
   * Set when this node continues an answer whose node died (chat/continue-answer.ts): the text the
   * clients already hold and the index of the next chunk. The answer goes on from there, its first
   * new chunk marked `continued`; processing and response_start were sent by the first node.
   */
  continuation?: { content: string; nextChunkIndex: number };
}

const HISTORY_TURNS = 10;
const RETRIEVAL_LIMIT = 5;
const EMPTY_ANSWER = "I'm sorry, I don't have an answer to that.";

function failureCode(error: unknown): ErrorCode {
  if (isAppError(error)) return error.code;
  return 'generation_failed';
}

export async function generateAnswer(deps: GenerationDeps, input: GenerationInput): Promise<void> {
  const { store, knowledge, engine, eventLog, logger } = deps;
  const { tenant, chatId, userMessage, assistant, controller, continuation } = input;
  const tenantId = tenant.id;
  const messageId = assistant.id;
  // A continued answer's response time counts from its start on the node that died.
  const startedAt = continuation ? Date.parse(assistant.createdAt) : Date.now();
  const emit = (event: Exclude<ChatEventBody, { type: 'response_complete' | 'error' }>) => eventLog.append({ tenantId, chatId, messageId, ...event });

  let generationOver = false;
  const clock = deps.clock ?? systemClock;
  /** When the lease was last renewed (asked): from then it holds for leaseMs. */
  let renewedAt = clock.now();
  const holdLease = async (): Promise<boolean> => {
    const asked = clock.now();
    const held = await store.messages.renewLease(tenantId, messageId, new Date(asked + deps.leaseMs).toISOString(), deps.nodeId);
    if (held) renewedAt = asked;
    return held;
  };
  /** holdLease, counting a failure or no answer within a third of the lease as held. */
  const leaseStillHeld = async (): Promise<boolean> => {
    let timer: NodeJS.Timeout | undefined;
    const noAnswer = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), Math.max(50, deps.leaseMs / 3))));
    try {
      return await Promise.race([holdLease().catch(() => true), noAnswer]);
    } finally {
      clearTimeout(timer);
    }
  };
  const lease = clock.setInterval(() => {
    holdLease()
      .then((held) => {
        // This node was too slow (its lease ran out) and a sweeper took the answer over and ends
        // it: stop producing chunks nobody will see in the stored answer.
        if (!held && !generationOver && !controller.signal.aborted) {
          logger.warn({ tenantId, chatId, messageId }, 'answer taken over by a lease sweeper; stopping its generation');
          controller.abort('lease-lost' satisfies AbortReason);
        }
      })
      .catch((error: unknown) => logger.warn({ err: error, messageId }, 'lease renewal failed'));
  }, Math.max(50, Math.floor(deps.leaseMs / 3)));
  lease.unref();

  let content = continuation?.content ?? '';
  let chunkIndex = continuation?.nextChunkIndex ?? 0;
  let sources: Source[] | null = null;
  let passages: Passage[] = [];
  let model: string = engine.modelFor?.(tenant) ?? engine.name;
  let promptTokens: number | null = null;
  let completionTokens: number | null = null;
  let status: Exclude<MessageStatus, 'streaming'> = 'complete';
  let errorCode: ErrorCode | undefined;
  let errorMessage = '';
  /** Seconds the engine's provider asked to wait (ai_rate_limited), passed on in the error frame. */
  let retryAfter: number | undefined;
  /** Set once cost control let the model call through: its tokens are counted. */
  let admission: ModelCallAdmission | undefined;

  const sendChunk = async (text: string) => {
    // A node that stalled (a long GC pause, a blocked event loop) past most of its lease may have
    // lost the answer to a sweeper that continues it: it confirms the lease before sending more,
    // so no chunk of this node follows the text the other node continues from. A database that
    // fails or does not answer within a third of the lease holds nothing back (no sweeper can
    // claim through it either); the end's own check still decides who ends the answer.
    if (clock.now() - renewedAt >= (deps.leaseMs * 2) / 3 && !controller.signal.aborted && !(await leaseStillHeld())) {
      logger.warn({ tenantId, chatId, messageId }, 'answer taken over by a lease sweeper while this node stalled; stopping its generation');
      controller.abort('lease-lost' satisfies AbortReason);
      return;
    }
    if (chunkIndex === 0) deps.metrics?.answerFirstChunk(Date.now() - startedAt);
    content += text;
    // The first chunk of a continuation says so: the answer went on on another node.
    const continued = continuation !== undefined && chunkIndex === continuation.nextChunkIndex ? { continued: true as const } : {};
    await emit({ type: 'response_chunk', data: { message_id: messageId, chat_id: chatId, content: text, chunk_index: chunkIndex, ...continued } });
    chunkIndex += 1;
  };

  try {
    if (!continuation) await emit({ type: 'processing', data: { message_id: messageId, user_message_id: userMessage.id, chat_id: chatId } });
    const [found, recent] = await Promise.all([
      knowledge.search(tenantId, userMessage.content, { limit: RETRIEVAL_LIMIT }).catch((error: unknown) => {
        logger.warn({ err: error, tenantId }, 'knowledge search failed; answering without passages');
        return [] as Passage[];
      }),
      store.messages.recentTurns(tenantId, chatId, HISTORY_TURNS + 1),
    ]);
    passages = found;
    const history: ConversationTurn[] = recent
      .filter((message) => message.id !== userMessage.id && message.id !== messageId && message.content !== '')
      .slice(-HISTORY_TURNS)
      .map((message) => ({ role: message.role, content: message.content }));

    if (!continuation) await emit({ type: 'response_start', data: { message_id: messageId, user_message_id: userMessage.id, chat_id: chatId } });
    admission = await deps.modelCalls?.admit(tenant, input.visitorId ?? null, controller.signal);
    const stream = engine.stream({
      tenant,
      chatId,
      question: userMessage.content,
      history,
      passages,
      signal: controller.signal,
      ...(continuation ? { continueFrom: continuation.content } : {}),
    });
    for await (const part of stream) {
      if (controller.signal.aborted) break;
      if (part.type === 'text') {
        if (part.text !== '') await sendChunk(part.text);
      } else if (part.type === 'sources') {
        sources = part.sources;
      } else if (part.type === 'usage') {
        model = part.model;
        promptTokens = part.promptTokens;
        completionTokens = part.completionTokens;
      }
    }
    if (controller.signal.aborted) throw controller.signal.reason ?? new Error('aborted');
    if (content === '') await sendChunk(EMPTY_ANSWER);
  } catch (error) {
    if (error instanceof CannotContinueError && !controller.signal.aborted) {
      // The continuation was impossible: the answer ends as it would have without one.
      status = 'interrupted';
      errorCode = 'generation_interrupted';
      errorMessage = ERROR_CODES.generation_interrupted.message;
      logger.info({ tenantId, chatId, messageId, reason: error.message }, 'answer not continued; ending it as interrupted');
    } else if (controller.signal.aborted) {
      status = controller.signal.reason === 'stop' ? 'stopped' : 'interrupted';
      if (status === 'interrupted') {
        errorCode = 'generation_interrupted';
        errorMessage = ERROR_CODES.generation_interrupted.message;
      }
    } else {
      status = 'error';
      // A database that stopped answering mid-answer (recent turns, lease) is an outage the client
      // can wait out, not a failure of the answer: db_not_ready with retry_after.
      const failure = databaseUnavailableError(error) ?? error;
      errorCode = failureCode(failure);
      errorMessage = isAppError(failure) ? failure.message : ERROR_CODES.generation_failed.message;
      retryAfter = isAppError(failure) ? failure.retryAfter : undefined;
      logger.warn({ err: error, tenantId, chatId, messageId }, 'answer generation failed');
    }
  } finally {
    generationOver = true;
    clock.clearInterval(lease);
    admission?.release();
  }

  const finalSources = sources ?? passages.map(passageToSource);
  const prompt = promptTokens ?? estimateTokens(userMessage.content) + passages.reduce((sum, p) => sum + estimateTokens(p.text), 0);
  const completion = completionTokens ?? estimateTokens(content);
  if (admission) await admission.record(prompt + completion);
  const responseTimeMs = Date.now() - startedAt;
  deps.metrics?.answerEnded(status, responseTimeMs, errorCode);

  const publishEnd = async (): Promise<void> => {
    try {
      await publishAnswerEnd(eventLog, {
        tenantId,
        chatId,
        messageId,
        userMessageId: userMessage.id,
        content,
        status,
        sources: finalSources,
        model,
        promptTokens: prompt,
        completionTokens: completion,
        responseTimeMs,
        createdAt: assistant.createdAt,
        failure: errorCode ? { code: errorCode, message: errorMessage, retryAfter } : undefined,
      });
    } catch (error) {
      logger.error({ err: error, tenantId, chatId, messageId }, 'could not publish the end of an answer');
    }
  };
  /** Stores the row; the stored message, or null when the database failed. */
  const storeEnd = async (): Promise<MessageRecord | null> => {
    try {
      return await store.messages.finishAssistant(tenantId, messageId, {
        content,
        status,
        sources: finalSources,
        model,
        promptTokens: prompt,
        completionTokens: completion,
        responseTimeMs,
      });
    } catch (error) {
      // The lease runs out and a sweeper finishes the row (from the terminal event, when published).
      logger.error({ err: error, tenantId, chatId, messageId }, 'could not store the finished answer');
      return null;
    }
  };
  /** finishAssistant keeps the first terminal state: a row that differs was ended by a lease sweeper. */
  const endedByOther = (stored: MessageRecord) =>
    stored.status !== status || stored.content !== content || stored.responseTimeMs !== responseTimeMs;

  if (controller.signal.reason === 'lease-lost') return; // the sweeper that took over ends it

  // Ending the answer: publish the terminal event and store the row, in the order that leaves no
  // hole when the node dies between the two.
  if (!eventLog.outlivesProcess) {
    // One process, in-process log: a crash takes the log and every socket with it, so nothing could
    // recover a published end anyway; the clients reconnect and reload the history. Storing first
    // means that history has the answer (publishing first would leave a streaming row that the
    // sweeper can only end with the text stored before, i.e. none), and that a client reading
    // history right after response_complete finds it stored. finishAssistant tells whether a
    // lease sweeper ended the answer first (this node was slow): then its end is the only one.
    const stored = await storeEnd();
    if (stored && endedByOther(stored)) {
      logger.warn({ tenantId, chatId, messageId, status }, 'answer already ended by a lease sweeper; not publishing a second end');
      return;
    }
    await publishEnd();
    return;
  }

  // Shared log (Redis), several nodes:
  // - Store, then publish: a crash in between leaves a finished row and no terminal event. Lease
  //   sweepers only look at `streaming` rows, so the clients would wait for ever. A hole.
  // - Publish, then store (this order): a crash in between leaves a `streaming` row whose
  //   response_complete is in the log. Its lease runs out, a sweeper finds that event, stores the
  //   row from it and publishes nothing. No hole, no second terminal event.
  // Publishing first, finishAssistant cannot tell beforehand whether a sweeper already ended the
  // answer (first terminal state wins). So the lease is renewed on condition that this node still
  // holds it: when a sweeper took over, this node publishes and stores nothing; when the renewal
  // succeeds, no sweeper can claim the row for another leaseMs, far longer than the two steps take.
  // Readers on this node wait for the row in between (ChatService.answersStored); a history read
  // on another node in that instant may still see the answer streaming.
  let owned = true;
  try {
    owned = await holdLease();
  } catch (error) {
    // The database is unreachable: publish anyway (the clients are waiting). A sweeper that later
    // finds the row still streaming stores it from the published terminal event.
    logger.warn({ err: error, tenantId, chatId, messageId }, 'could not confirm the lease before ending an answer');
  }
  if (!owned) {
    logger.warn({ tenantId, chatId, messageId, status }, 'answer already ended by a lease sweeper; not publishing a second end');
    return;
  }
  input.onEnding?.();
  await publishEnd();
  const stored = await storeEnd();
  if (stored && endedByOther(stored)) {
    logger.error({ tenantId, chatId, messageId, stored: stored.status, published: status }, 'answer ended twice: the lease ran out while its end was being published');
  }
}
