/**
 * Per-tenant retention: every node, on a timer of the injectable clock, deletes the chats of each
 * tenant with `retentionDays` set that have had no activity for that long (created before the
 * cutoff, no message since), with their messages and event-log entries, and the tenant's token
 * counts of days before the cutoff. Knowledge documents are the tenant's content, never purged.
 *
 * Safe when several nodes run it at once: each step is an idempotent DELETE by id, so two nodes
 * that pick the same chats delete them once between them (each reports what it really deleted).
 * A chat is purged whole: its newest message decides, so a conversation never loses its beginning
 * while it goes on.
 */
import type { Clock } from '../base/clock.ts';
import type { Logger } from '../base/logger.ts';
import type { ChatEventLog } from '../backend/events/chat-event-log.ts';
import type { Store } from '../store/store.ts';
import { utcDay } from './daily-token-budgets.ts';
import { deleteChatEvents } from './delete-chat-events.ts';

const DAY_MS = 86_400_000;
/** Chats deleted per statement batch: a purge of a large backlog does not hold one long transaction. */
const PURGE_BATCH = 500;

export interface RetentionPurgeResult {
  tenants: number;
  chats: number;
  messages: number;
  eventLogEntries: number;
  tokenUsageRows: number;
}

export interface RetentionPurgeDeps {
  store: Store;
  eventLog: ChatEventLog;
  logger: Logger;
  clock: Clock;
  intervalMs: number;
}

export class RetentionPurge {
  private timer: ReturnType<Clock['setInterval']> | null = null;
  private running: Promise<RetentionPurgeResult> | null = null;

  constructor(private readonly deps: RetentionPurgeDeps) {}

  start(): void {
    if (this.timer) return;
    this.timer = this.deps.clock.setInterval(() => {
      void this.runOnce().catch((error: unknown) => this.deps.logger.warn({ err: error }, 'retention purge failed; trying again next time'));
    }, this.deps.intervalMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for a purge in progress. */
  async stop(): Promise<void> {
    this.deps.clock.clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One purge over every tenant (a run already in progress is joined, not doubled). */
  runOnce(): Promise<RetentionPurgeResult> {
    this.running ??= this.purge().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async purge(): Promise<RetentionPurgeResult> {
    const { store, eventLog, logger, clock } = this.deps;
    const result: RetentionPurgeResult = { tenants: 0, chats: 0, messages: 0, eventLogEntries: 0, tokenUsageRows: 0 };
    const now = clock.now();
    for (const tenant of await store.tenants.list()) {
      const days = tenant.settings.retentionDays;
      if (typeof days !== 'number' || !(days > 0)) continue;
      result.tenants += 1;
      const cutoffMs = now - days * DAY_MS;
      const cutoff = new Date(cutoffMs).toISOString();
      for (;;) {
        const chatIds = await store.privacy.inactiveChatIds(tenant.id, cutoff, PURGE_BATCH);
        if (chatIds.length === 0) break;
        const deleted = await store.privacy.deleteChats(tenant.id, chatIds);
        const events = await deleteChatEvents(eventLog, tenant.id, chatIds);
        result.chats += deleted.chats;
        result.messages += deleted.messages;
        result.eventLogEntries += events.entries;
        if (chatIds.length < PURGE_BATCH) break;
      }
      result.tokenUsageRows += await store.privacy.deleteUsageBefore(tenant.id, utcDay(cutoffMs));
    }
    if (result.chats > 0 || result.tokenUsageRows > 0) logger.info({ ...result }, 'retention purge deleted expired chats');
    return result;
  }
}
