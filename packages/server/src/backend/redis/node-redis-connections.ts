/**
 * The Redis connections of one node, shared by every Redis-backed part of its backend (event log,
 * stop relay, delivered answer ends, rate limiter): two in all, where each part used to open its
 * own (six per node).
 *
 * - `commands`: every command of every part. None of them blocks (no BLPOP/XREAD BLOCK; the event
 *   log reads with XRANGE inside scripts), so they can share one pipelined connection: Redis runs
 *   commands one at a time anyway, and a second command connection would only add a socket. A part
 *   that needs a shorter timeout than the connection's races its command (withCommandTimeout); a
 *   part that ever needs a blocking command must get a connection of its own, since a blocked
 *   connection answers nothing else until the block ends.
 * - `subscriber`: a connection in subscriber mode can only (UN)SUBSCRIBE, so pub/sub needs this
 *   second one. Every part subscribes its own channels on it and filters the 'message' events by
 *   channel (the event log's `<prefix>events:*`, the stop relay's `<prefix>stop-generation`).
 *
 * Connections open when first used, so a node whose every Redis part was replaced (tests) opens none.
 */
import type { Redis } from 'ioredis';
import { closeRedisConnection, createRedisConnection, waitForRedisReady } from './create-redis-connection.ts';
import type { RedisHealth } from './redis-health.ts';
import type { RedisLogger } from './redis-logger.ts';

/**
 * What every Redis part of the backend (event log, stop relay, rate limiter, delivered answer ends)
 * is built from: the node's shared connections, or — for a test of that part alone — a URL from
 * which it opens its own.
 */
export interface RedisPartOptions {
  /** The node's shared connections (createBackend); the part then neither opens nor closes any. */
  connections?: NodeRedisConnections;
  /** `redis://…`: without `connections`, the part opens connections of its own. */
  redisUrl?: string;
  /** Prepended to every key and channel, e.g. `miptech:`; lets several platforms share one Redis. */
  keyPrefix: string;
  /** This node's id (connection names; a relay does not hand a node its own messages back). */
  nodeId: string;
  /** How long one command may take; each part sets its own default. */
  commandTimeoutMs?: number;
  logger?: RedisLogger;
}

export interface NodeRedisConnectionsOptions {
  /** `redis://…` */
  url: string;
  /** In the connection names (`CLIENT LIST`): `miptech:<node>:commands`, `miptech:<node>:subscriber`. */
  nodeId: string;
  /** The longest any part waits for a command (parts may race a shorter one). @default 2000 */
  commandTimeoutMs?: number;
  logger?: RedisLogger;
}

export class NodeRedisConnections {
  private commandConnection: Redis | null = null;
  private subscriberConnection: Redis | null = null;
  private closed = false;

  constructor(private readonly options: NodeRedisConnectionsOptions) {}

  get commands(): Redis {
    this.commandConnection ??= createRedisConnection({
      url: this.options.url,
      connectionName: `miptech:${this.options.nodeId}:commands`,
      commandTimeoutMs: this.options.commandTimeoutMs ?? 2000,
      ...(this.options.logger ? { logger: this.options.logger } : {}),
    });
    return this.commandConnection;
  }

  get subscriber(): Redis {
    this.subscriberConnection ??= createRedisConnection({
      url: this.options.url,
      connectionName: `miptech:${this.options.nodeId}:subscriber`,
      subscriber: true,
      ...(this.options.logger ? { logger: this.options.logger } : {}),
    });
    return this.subscriberConnection;
  }

  /** Whether any part uses Redis (a connection was opened). */
  get inUse(): boolean {
    return this.commandConnection !== null || this.subscriberConnection !== null;
  }

  /** Resolves when the opened connections are up; rejects after `timeoutMs` (the parts work without). */
  async waitUntilReady(timeoutMs: number): Promise<void> {
    await Promise.all(this.opened().map((redis) => waitForRedisReady(redis, timeoutMs)));
  }

  /** For readiness: the opened connections are up and Redis answers PING in time. */
  async health(): Promise<RedisHealth> {
    const commands = this.commandConnection;
    const subscriber = this.subscriberConnection;
    if ((commands && commands.status !== 'ready') || (subscriber && subscriber.status !== 'ready')) {
      return {
        ready: false,
        detail: `redis unavailable (commands ${commands?.status ?? 'unused'}, subscriber ${subscriber?.status ?? 'unused'})`,
      };
    }
    if (!commands) return { ready: true };
    try {
      await commands.ping();
      return { ready: true };
    } catch (error) {
      return { ready: false, detail: `redis ping failed: ${(error as Error).message}` };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.opened().map((redis) => closeRedisConnection(redis)));
  }

  private opened(): Redis[] {
    return [this.commandConnection, this.subscriberConnection].filter((redis): redis is Redis => redis !== null);
  }
}

/** Rejects after `ms` unless `promise` settles first: a shorter timeout than the shared connection's. */
export function withCommandTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Command timed out after ${ms} ms`)), ms);
    timer.unref?.();
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
