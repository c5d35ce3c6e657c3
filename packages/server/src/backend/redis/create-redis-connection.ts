/**
 * Redis connections for the scaled setup. Every part that talks to Redis (event log, rate limiter,
 * health) gets its connections here so they all behave the same way when Redis goes away:
 *
 * - commands fail at once instead of queueing while disconnected (`enableOfflineQueue: false`), so
 *   callers can fall back to node-local behaviour and keep serving their own sockets;
 * - a command that gets no answer fails after `commandTimeoutMs` (a hung Redis is as bad as a dead one);
 * - the connection retries for ever with a capped delay, so the node recovers by itself;
 * - `error` events are logged (rate-limited) instead of crashing the process.
 */
import { Redis } from 'ioredis';
import type { RedisLogger } from './redis-logger.ts';

export interface RedisConnectionOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://…`. */
  url: string;
  /** Shown in `CLIENT LIST`, e.g. `miptech:node-1:events`. */
  connectionName: string;
  /**
   * A connection in subscriber mode: its commands (SUBSCRIBE…) wait for the connection instead of
   * failing, and ioredis re-subscribes by itself after a reconnect.
   * @default false
   */
  subscriber?: boolean;
  /** @default 2000 */
  commandTimeoutMs?: number;
  /** Longest pause between reconnect attempts. @default 1000 */
  maxReconnectDelayMs?: number;
  logger?: RedisLogger;
}

/** How long a run of identical connection errors stays quiet in the log after the first one. */
const ERROR_LOG_INTERVAL_MS = 10_000;

export function createRedisConnection(options: RedisConnectionOptions): Redis {
  const maxDelay = options.maxReconnectDelayMs ?? 1000;
  const subscriber = options.subscriber ?? false;
  const redis = new Redis(options.url, {
    connectionName: options.connectionName,
    enableOfflineQueue: subscriber,
    // With the offline queue off this only matters for commands caught by a disconnect mid-flight.
    maxRetriesPerRequest: subscriber ? null : 1,
    // A subscriber waits for messages for ever; a timeout would only apply to (UN)SUBSCRIBE.
    ...(subscriber ? {} : { commandTimeout: options.commandTimeoutMs ?? 2000 }),
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 10), maxDelay),
    // Reconnect after READONLY (a failed-over replica) as after any other loss.
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
    autoResubscribe: true,
    lazyConnect: false,
  });

  let lastLogged = 0;
  let lastMessage = '';
  redis.on('error', (error: Error) => {
    const now = Date.now();
    if (error.message === lastMessage && now - lastLogged < ERROR_LOG_INTERVAL_MS) return;
    lastLogged = now;
    lastMessage = error.message;
    options.logger?.warn({ err: error.message, connection: options.connectionName }, 'redis connection error');
  });
  return redis;
}

/** Resolves once the connection is ready, or rejects after `timeoutMs`. */
export function waitForRedisReady(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`redis not ready after ${timeoutMs} ms (status ${redis.status})`));
    }, timeoutMs);
    timer.unref?.();
    redis.once('ready', onReady);
  });
}

/** Closes a connection without waiting for a Redis that may be gone. */
export async function closeRedisConnection(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  try {
    await Promise.race([
      redis.quit(),
      new Promise((resolve) => setTimeout(resolve, 500).unref()),
    ]);
  } catch {
    // Already closing or gone: disconnect below is enough.
  }
  redis.disconnect();
}
