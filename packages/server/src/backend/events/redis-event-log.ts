/**
 * The event log of the scaled setup: per-chat seq, retention and delivery through Redis, so a
 * socket on node A receives the events of its chat produced on node B, with the same seq on every
 * node, and a client that moved to another node resumes from its last seq.
 *
 * - `append` runs a Lua script (INCR-like counter + XADD with a bounded MAXLEN + PUBLISH). The
 *   appends issued in one turn of the event loop (chunks of many answers whose timers fired
 *   together) go in one script call: one round trip and one reply for all of them instead of one
 *   each, in the order they were issued.
 * - Seq never goes backwards, even if Redis (which keeps nothing on disk) lost everything: Redis may
 *   only issue seqs up to a ceiling that is first reserved in the database
 *   (`store.chats.reserveSeqBlock`, hi/lo). A chat whose counter is missing restarts above the
 *   database ceiling, i.e. above every seq ever issued.
 * - The node's subscriber connection (shared with the stop relay, see node-redis-connections.ts)
 *   multiplexes every chat with local listeners (reference-counted SUBSCRIBE/UNSUBSCRIBE). Delivery
 *   goes through pub/sub for the node's own events too, so every node delivers in seq order.
 * - Without Redis the node keeps serving its own sockets: seqs come from a block reserved in the
 *   database and events are delivered locally. When Redis returns, the counter is moved past those
 *   seqs, subscriptions are restored and events missed meanwhile are caught up from the stream.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ChatEvent, ChatEventListener, ChatEventLog, NewChatEvent, ReplayResult } from './chat-event-log.ts';
import type { ChatRepository } from '../../store/store.ts';
import { closeRedisConnection, createRedisConnection, waitForRedisReady } from '../redis/create-redis-connection.ts';
import type { RedisLogger } from '../redis/redis-logger.ts';
import type { RedisHealth } from '../redis/redis-health.ts';
import { withCommandTimeout, type NodeRedisConnections, type RedisPartOptions } from '../redis/node-redis-connections.ts';
import {
  APPEND_BATCH_SCRIPT,
  APPEND_SCRIPT,
  BUMP_SCRIPT,
  CEILING_REACHED,
  NO_COUNTER,
  RAISE_CEILING_SCRIPT,
  REPLAY_SCRIPT,
} from './redis-event-log-scripts.ts';

export interface RedisChatEventLogOptions extends RedisPartOptions {
  /** Where seq ceilings are reserved: `store.chats`. */
  seqCeilings: Pick<ChatRepository, 'reserveSeqBlock'>;
  /** Events kept per chat for replay. @default 2000 */
  maxEventsPerChat?: number;
  /** Seconds a chat's log is kept after its last event. @default 3600 */
  retentionSeconds?: number;
  /** Seqs reserved in the database at a time. @default 1000 */
  seqBlockSize?: number;
  /** @default 2000 (with shared `connections`, theirs applies) */
  commandTimeoutMs?: number;
}

/** Delivery state of one chat on this node. */
interface ChatSubscription {
  readonly channel: string;
  readonly listeners: Set<ChatEventListener>;
  /** Resolves once Redis confirmed the SUBSCRIBE (or it failed). */
  ready: Promise<void>;
  /** Highest seq handed to the listeners: anything at or below it is a duplicate. */
  lastDelivered: number;
  /** Catch-up after a Redis outage starts here when nothing was delivered yet (first replay's lastSeq). */
  baseline: number | null;
  /** Ids of recently delivered events (an event may arrive twice after an ambiguous timeout). */
  readonly recentIds: Set<string>;
}

/** A block of seqs reserved in the database, used while Redis is unreachable. */
interface LocalSeqBlock {
  next: number;
  ceiling: number;
}

/** An append waiting for the end of the current event-loop turn. */
interface QueuedAppend {
  readonly input: NewChatEvent;
  readonly id: string;
  resolve(event: ChatEvent): void;
  reject(error: unknown): void;
}

const RECENT_IDS_KEPT = 256;
/** Events per batch script call (bounds the script's run time and its argument list). */
const MAX_BATCH = 256;

export class RedisChatEventLog implements ChatEventLog {
  /** Events are in Redis: a lease sweeper on another node finds them after this node died. */
  readonly outlivesProcess = true;
  private readonly commands: Redis;
  private readonly subscriber: Redis;
  /** false when the connections are the node's shared ones (closed by their owner). */
  private readonly ownsConnections: boolean;
  private readonly options: Required<Omit<RedisChatEventLogOptions, 'logger' | 'connections' | 'redisUrl'>> & { logger: RedisLogger | undefined };
  private readonly subscriptions = new Map<string, ChatSubscription>();
  /** Pending database reservations, one per chat at a time. */
  private readonly raising = new Map<string, Promise<void>>();
  private readonly localBlocks = new Map<string, LocalSeqBlock>();
  /** Chats that got seqs from a local block: Redis must move past `high` before issuing more. */
  private readonly unsynced = new Map<string, { tenantId: string; high: number }>();
  /** Serialises local seq allocation per chat. */
  private readonly localLocks = new Map<string, Promise<unknown>>();
  private readonly eventIdPrefix = `${randomUUID().slice(0, 8)}`;
  private eventCounter = 0;
  /** Appends issued in this turn of the event loop, sent together by flushAppends. */
  private queued: QueuedAppend[] = [];
  private flushScheduled = false;
  private subscriberWasReady = false;
  private commandsWereReady = false;
  private closed = false;

  constructor(options: RedisChatEventLogOptions) {
    this.options = {
      maxEventsPerChat: 2000,
      retentionSeconds: 3600,
      seqBlockSize: 1000,
      commandTimeoutMs: 2000,
      ...options,
      logger: options.logger,
    };
    const { nodeId, logger, commandTimeoutMs } = this.options;
    if (options.connections) {
      this.commands = options.connections.commands;
      this.subscriber = options.connections.subscriber;
      this.ownsConnections = false;
    } else {
      if (!options.redisUrl) throw new Error('RedisChatEventLog needs connections or redisUrl');
      this.commands = createRedisConnection({
        url: options.redisUrl,
        connectionName: `miptech:${nodeId}:events`,
        commandTimeoutMs,
        ...(logger ? { logger } : {}),
      });
      this.subscriber = createRedisConnection({
        url: options.redisUrl,
        connectionName: `miptech:${nodeId}:events-sub`,
        subscriber: true,
        ...(logger ? { logger } : {}),
      });
      this.ownsConnections = true;
    }
    // Shared connections may already be up: only a later 'ready' is a recovery.
    this.commandsWereReady = this.commands.status === 'ready';
    this.subscriberWasReady = this.subscriber.status === 'ready';
    this.subscriber.on('message', this.onMessageListener);
    this.commands.on('ready', this.onCommandsReady);
    this.subscriber.on('ready', this.onSubscriberReady);
  }

  private readonly onMessageListener = (channel: string, message: string): void => this.onMessage(channel, message);

  private readonly onCommandsReady = (): void => {
    if (this.commandsWereReady) void this.recoverCommands();
    this.commandsWereReady = true;
  };

  private readonly onSubscriberReady = (): void => {
    if (this.subscriberWasReady) void this.recoverSubscriptions();
    this.subscriberWasReady = true;
  };

  /** Resolves when both connections are up; rejects after `timeoutMs` (the log works without). */
  async waitUntilReady(timeoutMs = 5000): Promise<void> {
    await Promise.all([waitForRedisReady(this.commands, timeoutMs), waitForRedisReady(this.subscriber, timeoutMs)]);
  }

  /** For readiness: Redis answers PING in time and the subscriber connection is up. */
  async health(): Promise<RedisHealth> {
    if (this.commands.status !== 'ready' || this.subscriber.status !== 'ready') {
      return {
        ready: false,
        detail: `redis unavailable (commands ${this.commands.status}, subscriber ${this.subscriber.status})`,
      };
    }
    try {
      await this.commands.ping();
      return { ready: true };
    } catch (error) {
      return { ready: false, detail: `redis ping failed: ${(error as Error).message}` };
    }
  }

  append(input: NewChatEvent): Promise<ChatEvent> {
    const id = `${this.eventIdPrefix}:${this.options.nodeId}:${++this.eventCounter}`;
    if (this.commands.status !== 'ready') return this.appendLocally(input, id);
    return new Promise<ChatEvent>((resolve, reject) => {
      this.queued.push({ input, id, resolve, reject });
      if (this.flushScheduled) return;
      this.flushScheduled = true;
      // After the I/O and timer callbacks of this turn, whose appends join the batch.
      setImmediate(() => this.flushAppends());
    });
  }

  private flushAppends(): void {
    this.flushScheduled = false;
    const queued = this.queued;
    this.queued = [];
    for (let start = 0; start < queued.length; start += MAX_BATCH) {
      void this.appendBatch(queued.slice(start, start + MAX_BATCH));
    }
  }

  /** Sends a batch in one script call; settles every append of it. */
  private async appendBatch(batch: QueuedAppend[]): Promise<void> {
    let results: number[];
    try {
      results = await this.appendBatchToRedis(batch);
    } catch (error) {
      this.options.logger?.warn({ err: (error as Error).message, events: batch.length }, 'redis append failed; delivering on this node only');
      for (const queued of batch) this.appendLocally(queued.input, queued.id).then(queued.resolve, queued.reject);
      return;
    }
    for (let index = 0; index < batch.length; index += 1) {
      const queued = batch[index]!;
      const seq = results[index] ?? 0;
      if (seq > 0) {
        queued.resolve({ ...queued.input, seq });
        continue;
      }
      // The chat needs a (new) seq block first: this event alone, after its chat's earlier ones.
      this.retryAppend(queued, seq).then(queued.resolve, queued.reject);
    }
  }

  private async appendBatchToRedis(batch: QueuedAppend[]): Promise<number[]> {
    const keys: string[] = [];
    const args: Array<string | number> = [this.options.maxEventsPerChat, this.options.retentionSeconds];
    const minSeqs: number[] = [];
    for (const { input, id } of batch) {
      keys.push(...this.chatKeys(input.chatId));
      const minSeq = this.unsynced.get(input.chatId)?.high ?? 0;
      minSeqs.push(minSeq);
      args.push(this.channel(input.chatId), eventBody(input, id), minSeq);
    }
    const reply = (await APPEND_BATCH_SCRIPT.run(this.commands, keys, args)) as unknown[];
    const results = batch.map((_, index) => Number(reply[index]));
    batch.forEach(({ input }, index) => {
      if ((results[index] ?? 0) > 0) this.appended(input.chatId, minSeqs[index] ?? 0);
    });
    return results;
  }

  private async retryAppend(queued: QueuedAppend, result: number): Promise<ChatEvent> {
    const { input, id } = queued;
    try {
      if (result !== NO_COUNTER && result !== CEILING_REACHED) throw new Error(`unexpected append result ${result}`);
      await this.raiseCeiling(input.tenantId, input.chatId);
      const seq = await this.appendToRedis(input, id);
      return { ...input, seq };
    } catch (error) {
      if (isDatabaseError(error)) throw error;
      this.options.logger?.warn({ err: (error as Error).message, chatId: input.chatId }, 'redis append failed; delivering on this node only');
      return this.appendLocally(input, id);
    }
  }

  /** Redis issued a seq above `minSeq`: the seqs this node issued alone are behind it. */
  private appended(chatId: string, minSeq: number): void {
    const unsynced = this.unsynced.get(chatId);
    if (unsynced && unsynced.high <= minSeq) this.unsynced.delete(chatId);
    this.localBlocks.delete(chatId);
  }

  subscribe(chatId: string, listener: ChatEventListener): () => void {
    let subscription = this.subscriptions.get(chatId);
    if (!subscription) {
      const channel = this.channel(chatId);
      const created: ChatSubscription = {
        channel,
        listeners: new Set(),
        ready: Promise.resolve(),
        lastDelivered: 0,
        baseline: null,
        recentIds: new Set(),
      };
      created.ready = this.subscriber.subscribe(channel).then(
        () => undefined,
        (error: unknown) => {
          this.options.logger?.warn({ err: (error as Error).message, chatId }, 'redis subscribe failed');
        },
      );
      this.subscriptions.set(chatId, created);
      subscription = created;
    }
    const current = subscription;
    current.listeners.add(listener);
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      current.listeners.delete(listener);
      if (current.listeners.size > 0 || this.subscriptions.get(chatId) !== current) return;
      this.subscriptions.delete(chatId);
      if (!this.closed) {
        this.subscriber.unsubscribe(current.channel).catch(() => {
          // Gone with the connection; ioredis will not resubscribe a channel we left.
        });
      }
    };
  }

  async replay(tenantId: string, chatId: string, afterSeq: number): Promise<ReplayResult> {
    const subscription = this.subscriptions.get(chatId);
    // Read the stream only once the live subscription is active: everything appended before that
    // is in the stream, everything after reaches the listeners.
    if (subscription) await withCommandTimeout(subscription.ready, this.options.commandTimeoutMs).catch(() => undefined);
    let result: ReplayResult;
    try {
      result = await this.replayFromRedis(tenantId, chatId, afterSeq);
    } catch (error) {
      if (isDatabaseError(error)) throw error;
      this.options.logger?.warn({ err: (error as Error).message, chatId }, 'redis replay failed');
      // Without Redis nothing proves there is no gap: the client reloads the history.
      const known = Math.max(subscription?.lastDelivered ?? 0, this.unsynced.get(chatId)?.high ?? 0);
      return { complete: false, events: [], lastSeq: known };
    }
    if (subscription && subscription.baseline === null) subscription.baseline = result.lastSeq;
    return result;
  }

  /** Every retained event of the chat (the lease sweeper rebuilds interrupted answers from it). */
  async retained(tenantId: string, chatId: string): Promise<ChatEvent[]> {
    const entries = await this.commands.xrange(this.chatKeys(chatId)[1], '-', '+', 'COUNT', this.options.maxEventsPerChat);
    const events: ChatEvent[] = [];
    for (const [, fields] of entries) {
      const parsed = parseEvent(fields[1] ?? '');
      if (parsed && parsed.event.tenantId === tenantId) events.push(parsed.event);
    }
    return events;
  }

  /**
   * Deletes every Redis key of the chat: its seq counter and event stream, and the other keys that
   * carry its hash tag (`chat:{<id>}:…`, e.g. delivered answer ends), which SCAN finds in the
   * chat's slot. Throws when Redis cannot be reached: an erasure must not report what it did not do.
   */
  async deleteChat(tenantId: string, chatId: string): Promise<number> {
    this.localBlocks.delete(chatId);
    this.unsynced.delete(chatId);
    const [counterKey, streamKey] = this.chatKeys(chatId);
    const keys = new Set([counterKey, streamKey]);
    const pattern = `${this.options.keyPrefix}chat:{${chatId}}:*`.replace(/[?[\]\\]/g, '\\$&');
    let cursor = '0';
    do {
      const [next, found] = await this.commands.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      for (const key of found) keys.add(key);
      cursor = next;
    } while (cursor !== '0');
    return this.commands.del(...keys);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const channels = [...this.subscriptions.values()].map((subscription) => subscription.channel);
    this.subscriptions.clear();
    this.subscriber.off('message', this.onMessageListener);
    this.commands.off('ready', this.onCommandsReady);
    this.subscriber.off('ready', this.onSubscriberReady);
    if (this.ownsConnections) {
      await Promise.all([closeRedisConnection(this.commands), closeRedisConnection(this.subscriber)]);
    } else if (channels.length > 0 && this.subscriber.status === 'ready') {
      // The connection stays open for its other users: leave this log's channels.
      await this.subscriber.unsubscribe(...channels).catch(() => undefined);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Redis path

  private async appendToRedis(input: NewChatEvent, id: string): Promise<number> {
    const body = eventBody(input, id);
    const { maxEventsPerChat, retentionSeconds } = this.options;
    // A fresh counter needs one reservation, a full block one more: three tries always suffice
    // unless another node keeps exhausting the ceiling between our calls.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const minSeq = this.unsynced.get(input.chatId)?.high ?? 0;
      const result = Number(
        await APPEND_SCRIPT.run(this.commands, this.chatKeys(input.chatId), [
          this.channel(input.chatId),
          body,
          maxEventsPerChat,
          retentionSeconds,
          minSeq,
        ]),
      );
      if (result > 0) {
        this.appended(input.chatId, minSeq);
        return result;
      }
      if (result !== NO_COUNTER && result !== CEILING_REACHED) throw new Error(`unexpected append result ${result}`);
      await this.raiseCeiling(input.tenantId, input.chatId);
    }
    throw new Error('could not reserve a seq block for the chat');
  }

  private async replayFromRedis(tenantId: string, chatId: string, afterSeq: number): Promise<ReplayResult> {
    const [counterKey, streamKey] = this.chatKeys(chatId);
    const read = async (): Promise<unknown[]> =>
      (await REPLAY_SCRIPT.run(this.commands, [counterKey, streamKey], [afterSeq, this.options.maxEventsPerChat])) as unknown[];
    let reply = await read();
    if (Number(reply[0]) === NO_COUNTER) {
      // New, expired or lost: start the counter above the database ceiling (a brand-new chat's is 0).
      await this.raiseCeiling(tenantId, chatId);
      reply = await read();
      if (Number(reply[0]) === NO_COUNTER) return { complete: false, events: [], lastSeq: 0 };
    }
    const lastSeq = Number(reply[0]);
    const floor = Number(reply[1]);
    const events: ChatEvent[] = [];
    for (const payload of reply.slice(2)) {
      const event = parseEvent(String(payload));
      if (event && event.event.tenantId === tenantId) events.push(event.event);
    }
    const newest = events.at(-1)?.seq ?? afterSeq;
    const complete = afterSeq >= floor && afterSeq <= lastSeq && newest === lastSeq;
    return { complete, events: complete ? events : [], lastSeq };
  }

  /** Reserves a block in the database and lets Redis issue seqs up to its end (one at a time per chat). */
  private raiseCeiling(tenantId: string, chatId: string): Promise<void> {
    const pending = this.raising.get(chatId);
    if (pending) return pending;
    const run = (async () => {
      const block = this.options.seqBlockSize;
      const base = await reserveBlock(this.options.seqCeilings, tenantId, chatId, block);
      await RAISE_CEILING_SCRIPT.run(this.commands, [this.chatKeys(chatId)[0]], [
        base,
        base + block,
        this.options.retentionSeconds,
      ]);
    })().finally(() => this.raising.delete(chatId));
    this.raising.set(chatId, run);
    return run;
  }

  // -------------------------------------------------------------------------------------------
  // Without Redis

  private async appendLocally(input: NewChatEvent, id: string): Promise<ChatEvent> {
    const seq = await this.allocateLocalSeq(input.tenantId, input.chatId);
    const previous = this.unsynced.get(input.chatId);
    if (!previous || previous.high < seq) this.unsynced.set(input.chatId, { tenantId: input.tenantId, high: seq });
    const event: ChatEvent = { ...input, seq };
    this.deliver(input.chatId, event, id);
    return event;
  }

  private allocateLocalSeq(tenantId: string, chatId: string): Promise<number> {
    const previous = this.localLocks.get(chatId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(async () => {
      // Above anything this node delivered or issued for the chat.
      const known = Math.max(this.subscriptions.get(chatId)?.lastDelivered ?? 0, this.unsynced.get(chatId)?.high ?? 0);
      let block = this.localBlocks.get(chatId);
      if (block) block.next = Math.max(block.next, known + 1);
      if (!block || block.next > block.ceiling) {
        const size = this.options.seqBlockSize;
        const base = await reserveBlock(this.options.seqCeilings, tenantId, chatId, size);
        block = { next: Math.max(base + 1, known + 1), ceiling: base + size };
        this.localBlocks.set(chatId, block);
      }
      const seq = block.next;
      block.next += 1;
      return seq;
    });
    this.localLocks.set(chatId, next);
    void next.finally(() => {
      if (this.localLocks.get(chatId) === next) this.localLocks.delete(chatId);
    }).catch(() => undefined);
    return next;
  }

  /** Redis is back for commands: move counters past the seqs issued locally meanwhile. */
  private async recoverCommands(): Promise<void> {
    this.localBlocks.clear();
    for (const [chatId, { tenantId, high }] of [...this.unsynced]) {
      try {
        for (let attempt = 0; attempt < 3; attempt += 1) {
          const result = Number(
            await BUMP_SCRIPT.run(this.commands, [this.chatKeys(chatId)[0]], [high, this.options.retentionSeconds]),
          );
          if (result > 0) break;
          await this.raiseCeiling(tenantId, chatId);
        }
        if (this.unsynced.get(chatId)?.high === high) this.unsynced.delete(chatId);
      } catch (error) {
        this.options.logger?.warn({ err: (error as Error).message, chatId }, 'redis counter recovery failed');
        return;
      }
    }
    this.options.logger?.info({ node: this.options.nodeId }, 'redis event log recovered');
  }

  /** The subscriber is back: make sure every channel is subscribed, then fetch what was missed. */
  private async recoverSubscriptions(): Promise<void> {
    const chats = [...this.subscriptions.entries()];
    if (chats.length === 0) return;
    try {
      await this.subscriber.subscribe(...chats.map(([, subscription]) => subscription.channel));
      for (const [chatId, subscription] of chats) {
        const from = subscription.lastDelivered > 0 ? subscription.lastDelivered : subscription.baseline;
        if (from === null) continue;
        const reply = (await REPLAY_SCRIPT.run(this.commands, this.chatKeys(chatId), [
          from,
          this.options.maxEventsPerChat,
        ])) as unknown[];
        for (const payload of reply.slice(2)) {
          const parsed = parseEvent(String(payload));
          if (parsed) this.deliver(chatId, parsed.event, parsed.id);
        }
      }
    } catch (error) {
      this.options.logger?.warn({ err: (error as Error).message }, 'redis catch-up after reconnect failed');
    }
  }

  // -------------------------------------------------------------------------------------------
  // Delivery

  private onMessage(channel: string, message: string): void {
    // The subscriber connection also carries other parts' channels (the stop relay's).
    if (!channel.startsWith(this.channelPrefix())) return;
    const chatId = channel.slice(this.channelPrefix().length);
    const parsed = parseEvent(message);
    if (!parsed) {
      this.options.logger?.warn({ channel }, 'unreadable event on redis channel');
      return;
    }
    this.deliver(chatId, parsed.event, parsed.id);
  }

  private deliver(chatId: string, event: ChatEvent, id: string): void {
    const subscription = this.subscriptions.get(chatId);
    if (!subscription || event.chatId !== chatId) return;
    if (event.seq <= subscription.lastDelivered || subscription.recentIds.has(id)) return;
    subscription.lastDelivered = event.seq;
    subscription.recentIds.add(id);
    if (subscription.recentIds.size > RECENT_IDS_KEPT) {
      const oldest = subscription.recentIds.values().next().value;
      if (oldest !== undefined) subscription.recentIds.delete(oldest);
    }
    for (const listener of [...subscription.listeners]) {
      try {
        listener(event);
      } catch (error) {
        this.options.logger?.error({ err: (error as Error).message, chatId }, 'chat event listener threw');
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Names

  private channelPrefix(): string {
    return `${this.options.keyPrefix}events:`;
  }

  private channel(chatId: string): string {
    return `${this.channelPrefix()}${chatId}`;
  }

  /** Counter and stream: the braces put both in one cluster hash slot. */
  private chatKeys(chatId: string): [string, string] {
    const base = `${this.options.keyPrefix}chat:{${chatId}}`;
    return [`${base}:seq`, `${base}:log`];
  }
}

/** Marks failures of the database (not Redis): those must reach the caller. */
class SeqReservationError extends Error {
  override readonly name = 'SeqReservationError';
}

function isDatabaseError(error: unknown): boolean {
  return error instanceof SeqReservationError;
}

async function reserveBlock(
  ceilings: Pick<ChatRepository, 'reserveSeqBlock'>,
  tenantId: string,
  chatId: string,
  size: number,
): Promise<number> {
  try {
    return await ceilings.reserveSeqBlock(tenantId, chatId, size);
  } catch (error) {
    throw new SeqReservationError((error as Error).message, { cause: error });
  }
}

/** The event as stored and published, without its seq (the script puts it first). */
function eventBody(input: NewChatEvent, id: string): string {
  return JSON.stringify({
    id,
    tenantId: input.tenantId,
    chatId: input.chatId,
    type: input.type,
    messageId: input.messageId,
    data: input.data,
  });
}

function parseEvent(payload: string): { id: string; event: ChatEvent } | null {
  try {
    const value = JSON.parse(payload) as Partial<ChatEvent> & { id?: unknown };
    if (typeof value.seq !== 'number' || typeof value.chatId !== 'string' || typeof value.tenantId !== 'string') {
      return null;
    }
    return {
      id: typeof value.id === 'string' ? value.id : `seq:${value.seq}`,
      event: {
        tenantId: value.tenantId,
        chatId: value.chatId,
        seq: value.seq,
        type: value.type as ChatEvent['type'],
        messageId: value.messageId ?? null,
        data: value.data ?? {},
        // As this node or another one wrote it (eventBody): type and data belong together.
      } as ChatEvent,
    };
  } catch {
    return null;
  }
}
