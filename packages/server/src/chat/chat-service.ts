/**
 * The chat service: one implementation behind both the REST routes and the WebSocket gateway.
 * Creates chats idempotently per (tenant, session id), checks that a principal may see a chat,
 * commits user messages (the client's message id is an idempotency key) and runs answers in the
 * background, keeping track of them so stop_generation and a graceful shutdown can reach them.
 * With several nodes a stop is also relayed to the others (the answer may run on any of them).
 */
import { ERROR_CODES, SCOPES, type ErrorCode } from '@miptech/protocol';
import { canAccessChat, requireScope, type Principal } from '../auth/principal.ts';
import { AppError, isAppError } from '../base/errors.ts';
import { newId } from '../store/ids.ts';
import type { AnswerEngine } from '../engines/answer-engine.ts';
import type { ChatEventLog } from '../backend/events/chat-event-log.ts';
import type { KnowledgeIndex } from '../store/knowledge-index.ts';
import type { Logger } from '../base/logger.ts';
import { enforceRateLimit } from '../backend/rate-limit/enforce-rate-limit.ts';
import type { RateLimiter } from '../backend/rate-limit/rate-limiter.ts';
import type { ChatRecord, MessageRecord, Store, TenantRecord } from '../store/store.ts';
import { generateAnswer, type AbortReason, type GenerationDeps } from './answer-generation.ts';
import { publishAnswerEnd } from './answer-end.ts';
import type { ContinuationRun } from './continue-answer.ts';
import type { StopRelay, StopRequest } from '../backend/stop-relay.ts';
import type { PlatformMetrics } from '../observability/platform-metrics.ts';
import { systemClock, type Clock } from '../base/clock.ts';
import type { ModelCallGate } from './model-call-gate.ts';

export interface ChatServiceDeps {
  store: Store;
  knowledge: KnowledgeIndex;
  engine: AnswerEngine;
  eventLog: ChatEventLog;
  rateLimiter: RateLimiter;
  logger: Logger;
  nodeId: string;
  /** @default 30000 */
  leaseMs?: number;
  /** Carries stops to the other nodes (Redis); absent with one node. */
  stopRelay?: StopRelay;
  /** Where answers record their timings (absent in tests that build the service alone). */
  metrics?: PlatformMetrics;
  /** Times answer leases. @default systemClock */
  clock?: Clock;
  /** Cost control before each model call (token budgets, the tenant's cap on calls at once). */
  modelCalls?: ModelCallGate;
}

export interface CreateChatRequest {
  sessionId: string | null;
  title?: string;
  channel?: string | null;
  context?: Record<string, unknown>;
}

export interface SubmitMessageRequest {
  text: string;
  clientMessageId: string | null;
  /** Who is sending, for the per-visitor message rate limit (visitor id, else connection or address). */
  rateLimitKey: string;
}

/**
 * An answer from the moment its user message is committed until it is stored. A stop can reach it
 * before its assistant row exists (the visitor pressed Stop right after message_received): it
 * aborts the controller, and the answer then starts already stopped (see startAnswer).
 */
interface TrackedAnswer {
  tenantId: string;
  chatId: string;
  userMessageId: string;
  /** Set once the assistant row is inserted and the answer runs. */
  assistantId: string | null;
  controller: AbortController;
  done: Promise<void>;
}

const MINUTE = 60_000;
/** Longest wait of a read for an answer's row to be stored after its end was published. */
const STORED_WAIT_MS = 2000;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class ChatService {
  private readonly generation: GenerationDeps;
  /** Running answers by assistant message id. */
  private readonly running = new Map<string, TrackedAnswer>();
  /**
   * Answers being started or generated, by user message id: what a stop reaches (also before the
   * answer runs), and the guard against a resend racing the first send.
   */
  private readonly answering = new Map<string, TrackedAnswer>();
  /** Answers whose end is published but whose row is not stored yet, by `tenant id + chat id`. */
  private readonly ending = new Map<string, Set<Promise<void>>>();

  constructor(private readonly deps: ChatServiceDeps) {
    this.generation = {
      store: deps.store,
      knowledge: deps.knowledge,
      engine: deps.engine,
      eventLog: deps.eventLog,
      logger: deps.logger,
      nodeId: deps.nodeId,
      leaseMs: deps.leaseMs ?? 30_000,
      ...(deps.metrics ? { metrics: deps.metrics } : {}),
      clock: deps.clock ?? systemClock,
      ...(deps.modelCalls ? { modelCalls: deps.modelCalls } : {}),
    };
    deps.stopRelay?.onStop((stop) => this.stopLocally(stop));
  }

  /** Number of answers being generated right now. */
  get runningCount(): number {
    return this.running.size;
  }

  /**
   * Creates the chat, or returns the principal's existing chat for the same session id (409 if
   * another visitor's). `beforeCreate` (the chat creation limit) runs only when a chat is about
   * to be created: resuming a chat, e.g. on every page load, is not creating one.
   */
  async createChat(
    principal: Principal,
    request: CreateChatRequest,
    options: { beforeCreate?: () => Promise<void> } = {},
  ): Promise<{ chat: ChatRecord; created: boolean }> {
    requireScope(principal, SCOPES.chatCreate);
    if (options.beforeCreate) {
      const existing = request.sessionId ? await this.deps.store.chats.findBySession(principal.tenantId, request.sessionId) : null;
      if (existing) {
        if (!canAccessChat(principal, existing)) throw new AppError('session_conflict');
        return { chat: existing, created: false };
      }
      await options.beforeCreate();
    }
    const result = await this.deps.store.chats.createOrGet(principal.tenantId, {
      sessionId: request.sessionId,
      visitorId: principal.subject,
      title: request.title,
      channel: request.channel ?? null,
      context: request.context,
    });
    if (!result.created && !canAccessChat(principal, result.chat)) throw new AppError('session_conflict');
    return result;
  }

  /** The chat, when it exists in the principal's tenant and belongs to the principal; else `notFound`. */
  async getChat(principal: Principal, chatId: string, notFound: 'chat_not_found' | 'chat_access_denied' = 'chat_not_found'): Promise<ChatRecord> {
    const chat = await this.deps.store.chats.get(principal.tenantId, chatId);
    if (!chat || !canAccessChat(principal, chat)) throw new AppError(notFound);
    return chat;
  }

  /**
   * Commits a user message, announces it (`message_received`) and starts its answer in the
   * background. Resolves once the message is committed and announced.
   */
  async submitUserMessage(tenant: TenantRecord, chat: ChatRecord, request: SubmitMessageRequest): Promise<{ message: MessageRecord; duplicate: boolean }> {
    const { store, eventLog } = this.deps;
    await enforceRateLimit(
      this.deps.rateLimiter,
      `msg:${tenant.id}:${request.rateLimitKey}`,
      tenant.settings.rateLimits.messagesPerMinute,
      MINUTE,
    );
    const { message, duplicate } = await store.messages.insertUser(tenant.id, {
      chatId: chat.id,
      content: request.text,
      clientMessageId: request.clientMessageId,
    });
    // Tracked from the commit on (not only once its row exists): a stop that arrives from now on
    // reaches this answer. A resend whose first answer is still on its way starts nothing.
    const answer = duplicate && this.answering.has(message.id) ? null : this.track(tenant.id, chat.id, message.id);
    try {
      await eventLog.append({
        tenantId: tenant.id,
        chatId: chat.id,
        type: 'message_received',
        messageId: message.id,
        data: {
          message_id: message.id,
          client_message_id: message.clientMessageId,
          chat_id: chat.id,
          role: 'user',
          content: message.content,
          created_at: message.createdAt,
          ...(duplicate ? { duplicate: true } : {}),
        },
      });
    } catch (error) {
      if (answer) this.forget(answer);
      throw error;
    }
    if (answer) void this.startAnswer(tenant, chat.id, message, duplicate, answer, chat.visitorId);
    return { message, duplicate };
  }

  /**
   * Waits until the answers of this chat whose end was already published on this node are stored.
   * An answer's terminal event goes out just before its row is written (so a crash in between
   * cannot leave clients without an end, see answer-generation.ts); a client that reads history,
   * or sends its next message, right after `response_complete` must still find the answer stored.
   * Usually nothing to wait for; bounded in any case.
   */
  async answersStored(tenantId: string, chatId: string): Promise<void> {
    const ending = this.ending.get(`${tenantId} ${chatId}`);
    if (!ending) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(ending), new Promise<void>((resolve) => (timer = setTimeout(resolve, STORED_WAIT_MS)))]);
    clearTimeout(timer);
  }

  /**
   * Aborts the chat's answers (or the one with that assistant or user message id); they end as
   * `stopped`. A stop reaches every answer whose user message was committed before it arrives:
   * running ones, and those not started yet (their assistant row is still being inserted), which
   * then start stopped. `tenantId` and `chatId` must be those the caller checked the principal's
   * access to. Answers on this node stop at once; the stop is also relayed to the other nodes
   * unless the one named answer was found here. Returns the number stopped on this node.
   */
  stopGeneration(tenantId: string, chatId: string, messageId: string | null): number {
    const stop: StopRequest = { tenantId, chatId, messageId };
    const { stopped, startedHere } = this.stopLocally(stop);
    const relay = this.deps.stopRelay;
    // Not relayed only when the one named answer is being generated here. A match that has not
    // started may be a resend's placeholder whose answer runs on another node (it will find that
    // reply and start nothing), so the stop still goes out.
    if (relay && !(messageId && startedHere > 0)) {
      relay.publish(stop).catch((error: unknown) =>
        this.deps.logger.warn({ err: error, tenantId, chatId }, 'could not relay stop_generation to the other nodes'),
      );
    }
    return stopped;
  }

  /**
   * Stops the matching answers of this node, started or not: only those of exactly this tenant and
   * chat. A relayed stop lands here too, so one that arrives before the generating node inserted
   * the answer's row is not lost either.
   */
  private stopLocally({ tenantId, chatId, messageId }: StopRequest): { stopped: number; startedHere: number } {
    let stopped = 0;
    let startedHere = 0;
    for (const answer of this.answering.values()) {
      if (answer.tenantId !== tenantId || answer.chatId !== chatId) continue;
      if (messageId && answer.userMessageId !== messageId && answer.assistantId !== messageId) continue;
      answer.controller.abort('stop' satisfies AbortReason);
      stopped += 1;
      if (answer.assistantId !== null) startedHere += 1;
    }
    return { stopped, startedHere };
  }

  /**
   * Lets running answers finish for up to `graceMs`, then aborts the rest (stored as
   * `interrupted`) and waits until every one is stored.
   */
  async drain(graceMs: number): Promise<void> {
    const all = () => Promise.all([...this.running.values()].map((answer) => answer.done));
    if (this.running.size === 0 && this.answering.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), graceMs);
    });
    // Answers may still be starting (between commit and insert): poll until none are left. With
    // none running yet, wait on the timer alone: all() of nothing resolves at once, and a loop of
    // microtasks would never let those answers' database calls complete.
    const settled = (async () => {
      while (this.running.size > 0 || this.answering.size > 0) {
        await (this.running.size > 0 ? Promise.race([all(), delay(20)]) : delay(20));
      }
      return 'done' as const;
    })();
    const outcome = await Promise.race([settled, graceOver]);
    clearTimeout(timer);
    if (outcome === 'timeout') {
      // Answers not started yet too: they would otherwise insert their row and generate a whole
      // answer after the grace period, possibly as the store closes under them.
      for (const answer of this.answering.values()) answer.controller.abort('shutdown' satisfies AbortReason);
      await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, 5000))]);
    }
  }

  /**
   * An answer that could not even be started (its row could not be inserted, e.g. the database
   * failed) still ends for the clients: `error` (naming the user message and its client id, so the
   * client can resend it; the resend starts the answer) and a terminal `response_complete` with
   * status `error`. There is no stored assistant message to match: the id is a fresh one.
   */
  private async publishStartFailure(tenant: TenantRecord, chatId: string, userMessage: MessageRecord, error: unknown): Promise<void> {
    const code: ErrorCode = isAppError(error) ? error.code : 'generation_failed';
    const createdAt = new Date().toISOString();
    await publishAnswerEnd(this.deps.eventLog, {
      tenantId: tenant.id,
      chatId,
      messageId: newId('msg'),
      userMessageId: userMessage.id,
      content: '',
      status: 'error',
      sources: [],
      model: this.deps.engine.modelFor?.(tenant) ?? this.deps.engine.name,
      promptTokens: 0,
      completionTokens: 0,
      responseTimeMs: 0,
      createdAt,
      failure: { code, message: ERROR_CODES[code].message, unansweredMessage: { id: userMessage.id, clientMessageId: userMessage.clientMessageId } },
    });
  }

  /**
   * Continues on this node an answer whose node died (the lease sweeper claimed it, see
   * continue-answer.ts), tracked like the answers started here so a stop and a drain reach it.
   */
  continueAnswer(run: ContinuationRun): void {
    const { tenant, chatId, userMessage, assistant, continuation } = run;
    const answer = this.track(tenant.id, chatId, userMessage.id);
    answer.assistantId = assistant.id;
    this.running.set(assistant.id, answer);
    const { controller } = answer;
    // As for an answer started here: a next message waits until this one is stored (answersStored).
    const chatKey = `${tenant.id} ${chatId}`;
    const onEnding = () => this.ending.set(chatKey, (this.ending.get(chatKey) ?? new Set()).add(answer.done));
    answer.done = generateAnswer({ ...this.generation, nodeId: run.leaseOwner }, { tenant, chatId, userMessage, assistant, controller, continuation, onEnding, visitorId: run.visitorId })
      .catch((error: unknown) => this.deps.logger.error({ err: error, chatId }, 'answer continuation crashed'))
      .finally(() => {
        this.running.delete(assistant.id);
        this.forget(answer);
        const set = this.ending.get(chatKey);
        set?.delete(answer.done);
        if (set?.size === 0) this.ending.delete(chatKey);
      });
  }

  /** Starts tracking the answer to a committed user message (see TrackedAnswer). */
  private track(tenantId: string, chatId: string, userMessageId: string): TrackedAnswer {
    const answer: TrackedAnswer = {
      tenantId,
      chatId,
      userMessageId,
      assistantId: null,
      controller: new AbortController(),
      done: Promise.resolve(),
    };
    this.answering.set(userMessageId, answer);
    return answer;
  }

  /**
   * Throws budget_exceeded when the chat's visitor or its tenant has spent the day's token budget:
   * what REST checks before committing a message, so the caller gets 429 with Retry-After.
   */
  async checkBudget(tenant: TenantRecord, chat: ChatRecord): Promise<void> {
    await this.deps.modelCalls?.checkBudget(tenant, chat.visitorId);
  }

  private async startAnswer(
    tenant: TenantRecord,
    chatId: string,
    userMessage: MessageRecord,
    duplicate: boolean,
    answer: TrackedAnswer,
    visitorId: string | null = null,
  ): Promise<void> {
    const { store, logger } = this.deps;
    try {
      // A resend is answered only when its first answer never started (e.g. the node died in between).
      if (duplicate && (await store.messages.findReply(tenant.id, userMessage.id))) return;
      // The previous answer belongs in this one's conversation history.
      await this.answersStored(tenant.id, chatId);
      const assistant = await store.messages.startAssistant(tenant.id, {
        chatId,
        replyTo: userMessage.id,
        leaseOwner: this.deps.nodeId,
        leaseExpiresAt: new Date((this.generation.clock ?? systemClock).now() + this.generation.leaseMs).toISOString(),
      });
      const { controller } = answer;
      answer.assistantId = assistant.id;
      this.running.set(assistant.id, answer);
      const chatKey = `${tenant.id} ${chatId}`;
      const onEnding = () => {
        const set = this.ending.get(chatKey) ?? new Set();
        set.add(answer.done);
        this.ending.set(chatKey, set);
      };
      // Stopped before it started: generateAnswer runs with the aborted signal and ends it as
      // `stopped` with no content (processing, response_start, response_complete, as for any
      // answer; the engines return at once on an aborted signal, no provider request is made).
      answer.done = generateAnswer(this.generation, { tenant, chatId, userMessage, assistant, controller, onEnding, visitorId })
        .catch((error: unknown) => logger.error({ err: error, chatId }, 'answer generation crashed'))
        .finally(() => {
          this.running.delete(assistant.id);
          const set = this.ending.get(chatKey);
          set?.delete(answer.done);
          if (set?.size === 0) this.ending.delete(chatKey);
        });
      await answer.done;
    } catch (error) {
      logger.error({ err: error, tenantId: tenant.id, chatId, userMessageId: userMessage.id }, 'could not start an answer');
      await this.publishStartFailure(tenant, chatId, userMessage, error).catch((publishError: unknown) =>
        logger.error({ err: publishError, tenantId: tenant.id, chatId }, 'could not publish the failure to start an answer'),
      );
    } finally {
      this.forget(answer);
    }
  }

  /**
   * Stops tracking an answer, only if the entry is still this one: two sends with the same client
   * message id can both have tracked (each saw none before its insert returned), and the first to
   * finish must not drop the other's entry, which keeps that answer stoppable and drained.
   */
  private forget(answer: TrackedAnswer): void {
    if (this.answering.get(answer.userMessageId) === answer) this.answering.delete(answer.userMessageId);
  }
}
