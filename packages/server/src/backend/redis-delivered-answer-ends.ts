/**
 * DeliveredAnswerEnds shared by every node through Redis: the first delivery of an answer's end on
 * a node sets `<prefix>chat:{<chat id>}:end-delivered:<message id>` with a TTL a little over the
 * catch-up window (one SET, not awaited; later deliveries of the same end on that node cost
 * nothing). A join that could get a catch-up asks this node's memory first and Redis only when
 * this node did not deliver that end itself: at most one EXISTS, and only for a join without
 * `last_seq` whose chat's newest answer ended within the window.
 *
 * Redis unreachable: a record stays on this node and a question Redis cannot answer counts as "not
 * delivered" — a client then gets an end it may already show (it replaces it by message id) rather
 * than never learn an answer it missed.
 */
import type { Redis } from 'ioredis';
import { closeRedisConnection, createRedisConnection, waitForRedisReady } from './redis/create-redis-connection.ts';
import type { RedisLogger } from './redis/redis-logger.ts';
import { withCommandTimeout, type NodeRedisConnections, type RedisPartOptions } from './redis/node-redis-connections.ts';
import { CATCH_UP_WINDOW_MS, LocalDeliveredAnswerEnds, type DeliveredAnswerEnds } from './delivered-answer-ends.ts';

export interface RedisDeliveredAnswerEndsOptions extends RedisPartOptions {
  /** A join waits for the answer at most this long. @default 1000 */
  commandTimeoutMs?: number;
}

/** Outlives the window by the clock difference between nodes that is tolerated. */
const RECORD_TTL_MS = CATCH_UP_WINDOW_MS + 30_000;

export class RedisDeliveredAnswerEnds implements DeliveredAnswerEnds {
  private readonly redis: Redis;
  private readonly ownsConnection: boolean;
  private readonly commandTimeoutMs: number;
  private readonly local = new LocalDeliveredAnswerEnds();
  private closed = false;

  constructor(private readonly options: RedisDeliveredAnswerEndsOptions) {
    this.commandTimeoutMs = options.commandTimeoutMs ?? 1000;
    if (options.connections) {
      this.redis = options.connections.commands;
      this.ownsConnection = false;
    } else {
      if (!options.redisUrl) throw new Error('RedisDeliveredAnswerEnds needs connections or redisUrl');
      this.redis = createRedisConnection({
        url: options.redisUrl,
        connectionName: `miptech:${options.nodeId}:answer-ends`,
        commandTimeoutMs: this.commandTimeoutMs,
        ...(options.logger ? { logger: options.logger } : {}),
      });
      this.ownsConnection = true;
    }
  }

  /** Resolves when Redis answers; rejects after `timeoutMs` (the node works without, see above). */
  waitUntilReady(timeoutMs = 5000): Promise<void> {
    return waitForRedisReady(this.redis, timeoutMs);
  }

  record(chatId: string, messageId: string): void {
    if (!this.local.recordLocally(chatId, messageId) || this.closed || this.redis.status !== 'ready') return;
    this.redis.set(this.key(chatId, messageId), '1', 'PX', RECORD_TTL_MS).catch((error: unknown) => {
      this.options.logger?.warn({ err: (error as Error).message, chatId }, 'could not record a delivered answer end in redis');
    });
  }

  async wasDelivered(chatId: string, messageId: string): Promise<boolean> {
    if (this.local.knows(chatId, messageId)) return true;
    if (this.closed || this.redis.status !== 'ready') return false;
    try {
      // The shared connection's timeout is longer than a join should wait.
      return (await withCommandTimeout(this.redis.exists(this.key(chatId, messageId)), this.commandTimeoutMs)) === 1;
    } catch (error) {
      this.options.logger?.warn({ err: (error as Error).message, chatId }, 'could not ask redis about a delivered answer end');
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsConnection) await closeRedisConnection(this.redis);
  }

  /** The braces put it in the chat's cluster hash slot, next to its event log. */
  private key(chatId: string, messageId: string): string {
    return `${this.options.keyPrefix}chat:{${chatId}}:end-delivered:${messageId}`;
  }
}
