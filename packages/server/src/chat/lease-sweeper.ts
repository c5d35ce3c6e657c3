/**
 * Finishes answers whose node died. A node generating an answer renews the lease on its
 * `streaming` row; when the node is killed the lease runs out. Every node runs this sweeper: it
 * finds expired streaming rows and takes each over with a conditional update (so of several
 * sweepers exactly one gets it). When it can, it continues the answer on this node from the text
 * already sent (`continueAnswer`, see continue-answer.ts): the visitor sees one answer that goes
 * on. Otherwise it stores it as `interrupted` with the text produced so far, and publishes
 * `error {code: generation_interrupted}` and the terminal `response_complete`, so no client waits
 * for ever and a client that reloads history sees what the visitor saw.
 *
 * Where the text comes from: the chat's event log. Every chunk a client can have seen went through
 * it, so rebuilding the answer from the retained `response_chunk` events of the message gives
 * exactly the text the clients hold, and the terminal `content` equals their concatenated chunks
 * (persisting partial text from the generating node would lag behind the chunks already sent).
 * When the log no longer has the first chunk (Redis lost it, or the single-node log died with its
 * process), the text stored in the row is used instead.
 */
import { ERROR_CODES, type Source } from '@miptech/protocol';
import type { ChatEvent, ChatEventLog, ChatEventOf } from '../backend/events/chat-event-log.ts';
import type { MessageRecord, Store } from '../store/store.ts';
import type { Logger } from '../base/logger.ts';
import { systemClock, type Clock, type ClockTimer } from '../base/clock.ts';
import { publishAnswerEnd } from './answer-end.ts';
import { rebuildPartialAnswer, type PartialAnswer } from './continue-answer.ts';

export interface LeaseSweeperOptions {
  store: Store;
  eventLog: ChatEventLog;
  /** This node's id: recorded as the owner of a claimed message while it is being finished. */
  nodeId: string;
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** Time between sweeps (each node adds up to 20% jitter). @default 2000 */
  intervalMs?: number;
  /** Messages looked at per sweep. @default 50 */
  batchSize?: number;
  /** How long a claim holds: a sweeper that dies while finishing is replaced after it. @default 30000 */
  claimMs?: number;
  /** When a lease counts as expired, and the sweep timer. @default systemClock */
  clock?: Clock;
  /**
   * Continues a claimed answer on this node from the text its clients hold (the lease is claimed
   * as `leaseOwner`); resolves 'started' when it does, anything else to end it as interrupted.
   * Given only with an event log that outlives its process. Absent: answers end as interrupted.
   */
  continueAnswer?: (answer: MessageRecord, partial: PartialAnswer, leaseOwner: string) => Promise<string>;
}

export interface SweepOutcome {
  /** Expired streaming messages found. */
  found: number;
  /** Finished by this node as interrupted (with events published). */
  interrupted: number;
  /** Being continued on this node (their generation runs on after the sweep). */
  continued: number;
  /** Found a terminal event already published (the node died between publishing and storing): stored only. */
  recovered: number;
}

interface RecoveredAnswer {
  content: string;
  /** The exact text sent and the next chunk index, when the log proves them (a continuation can start there). */
  partial: PartialAnswer | null;
  /** A response_complete of this message already in the log. */
  terminal: ChatEventOf<'response_complete'> | null;
}

export class LeaseSweeper {
  private readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly claimMs: number;
  private readonly clock: Clock;
  private timer: ClockTimer | null = null;
  private running: Promise<SweepOutcome> | null = null;
  private stopped = false;

  constructor(private readonly options: LeaseSweeperOptions) {
    this.intervalMs = options.intervalMs ?? 2000;
    this.batchSize = options.batchSize ?? 50;
    this.claimMs = options.claimMs ?? 30_000;
    this.clock = options.clock ?? systemClock;
  }

  /** Starts sweeping periodically (the timer does not keep the process alive). */
  start(): void {
    if (this.timer || this.stopped) return;
    const schedule = (): void => {
      const delay = this.intervalMs * (1 + Math.random() * 0.2);
      this.timer = this.clock.setTimeout(() => {
        void this.sweepOnce()
          .catch((error: unknown) => this.options.logger?.warn({ err: (error as Error).message }, 'lease sweep failed'))
          .finally(() => {
            if (!this.stopped) schedule();
          });
      }, delay);
      this.timer.unref();
    };
    schedule();
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One sweep (never two at once on a node). */
  sweepOnce(): Promise<SweepOutcome> {
    if (this.running) return this.running;
    const run = this.sweep().finally(() => {
      this.running = null;
    });
    this.running = run;
    return run;
  }

  private async sweep(): Promise<SweepOutcome> {
    const { store } = this.options;
    const now = new Date(this.clock.now());
    const expired = await store.messages.findExpiredStreaming(now.toISOString(), this.batchSize);
    const outcome: SweepOutcome = { found: expired.length, interrupted: 0, continued: 0, recovered: 0 };
    for (const candidate of expired) {
      if (this.stopped) break;
      try {
        const leaseOwner = `sweeper:${this.options.nodeId}`;
        const claimed = await store.messages.claimExpiredStreaming(candidate.tenantId, candidate.id, {
          now: now.toISOString(),
          leaseOwner,
          leaseExpiresAt: new Date(this.clock.now() + this.claimMs).toISOString(),
        });
        if (!claimed) continue;
        const result = await this.finish(claimed, leaseOwner);
        if (result === 'interrupted') outcome.interrupted += 1;
        else if (result === 'continued') outcome.continued += 1;
        else if (result === 'recovered') outcome.recovered += 1;
      } catch (error) {
        // The claim expires and a later sweep (here or on another node) tries again.
        this.options.logger?.warn(
          { err: (error as Error).message, messageId: candidate.id, tenantId: candidate.tenantId },
          'could not finish an interrupted answer',
        );
      }
    }
    return outcome;
  }

  private async finish(message: MessageRecord, leaseOwner: string): Promise<'interrupted' | 'continued' | 'recovered' | 'lost-race'> {
    const { store, eventLog, logger } = this.options;
    const recovered = await this.recover(message);

    if (recovered.terminal) {
      // The clients already got the end of this answer; only the row is behind.
      const data = recovered.terminal.data;
      const status = isFinalStatus(data.status) ? data.status : 'interrupted';
      await store.messages.finishAssistant(message.tenantId, message.id, {
        content: typeof data.content === 'string' ? data.content : recovered.content,
        status,
        sources: Array.isArray(data.sources) ? (data.sources as Source[]) : message.sources,
        model: typeof data.llm_model === 'string' ? data.llm_model : message.model,
        promptTokens: numberOrNull(data.prompt_tokens),
        completionTokens: numberOrNull(data.completion_tokens),
        responseTimeMs: numberOrNull(data.response_time_ms),
      });
      return 'recovered';
    }

    if (this.options.continueAnswer && recovered.partial) {
      const started = await this.options.continueAnswer(message, recovered.partial, leaseOwner).catch((error: unknown) => {
        logger?.warn({ err: (error as Error).message, messageId: message.id }, 'could not continue an answer; ending it as interrupted');
        return 'failed';
      });
      if (started === 'started') {
        logger?.info(
          { tenantId: message.tenantId, chatId: message.chatId, messageId: message.id, previousOwner: message.leaseOwner, chars: recovered.partial.content.length },
          'answer continued: its node stopped renewing the lease',
        );
        return 'continued';
      }
      logger?.info({ messageId: message.id, reason: started }, 'answer not continued');
    }

    const responseTimeMs = Math.max(0, Date.now() - Date.parse(message.createdAt));
    const stored = await store.messages.finishAssistant(message.tenantId, message.id, {
      content: recovered.content,
      status: 'interrupted',
      sources: message.sources,
      model: message.model,
      promptTokens: message.promptTokens,
      completionTokens: message.completionTokens,
      responseTimeMs,
    });
    // finishAssistant keeps the first terminal state: if the generating node finished meanwhile,
    // it also published the end itself.
    if (stored.status !== 'interrupted' || stored.content !== recovered.content) return 'lost-race';

    logger?.info(
      { tenantId: message.tenantId, chatId: message.chatId, messageId: message.id, previousOwner: message.leaseOwner, chars: recovered.content.length },
      'answer interrupted: its node stopped renewing the lease',
    );
    const promptTokens = message.promptTokens ?? 0;
    const completionTokens = message.completionTokens ?? Math.ceil(recovered.content.length / 4);
    await publishAnswerEnd(eventLog, {
      tenantId: message.tenantId,
      chatId: message.chatId,
      messageId: message.id,
      userMessageId: message.replyTo ?? '',
      content: recovered.content,
      status: 'interrupted',
      sources: stored.sources,
      model: stored.model ?? 'unknown',
      promptTokens,
      completionTokens,
      responseTimeMs,
      createdAt: message.createdAt,
      failure: { code: 'generation_interrupted', message: ERROR_CODES.generation_interrupted.message },
    });
    return 'interrupted';
  }

  /** The answer's text as the clients received it, from the event log's chunks. */
  private async recover(message: MessageRecord): Promise<RecoveredAnswer> {
    const { eventLog, logger } = this.options;
    let events: ChatEvent[] = [];
    try {
      events = eventLog.retained
        ? await eventLog.retained(message.tenantId, message.chatId)
        : (await eventLog.replay(message.tenantId, message.chatId, 0)).events;
    } catch (error) {
      logger?.warn({ err: (error as Error).message, messageId: message.id }, 'event log unreadable; using the stored text');
    }
    const own = events.filter((event) => event.messageId === message.id);
    const terminal = own.find((event): event is ChatEventOf<'response_complete'> => event.type === 'response_complete') ?? null;
    const rebuilt = rebuildPartialAnswer(own, message.id);
    if (!rebuilt.hasFirstChunk) return { content: message.content, partial: rebuilt.partial, terminal };
    return { content: rebuilt.content, partial: rebuilt.partial, terminal };
  }
}

function isFinalStatus(value: unknown): value is 'complete' | 'stopped' | 'interrupted' | 'error' {
  return value === 'complete' || value === 'stopped' || value === 'interrupted' || value === 'error';
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}
