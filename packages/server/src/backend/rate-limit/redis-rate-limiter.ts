/**
 * Rate limits shared by every node: one fixed-window counter per key in Redis, counted and read
 * atomically by a Lua script (INCR, and PEXPIRE on the first hit of a window), so a visitor cannot
 * multiply its budget by spreading requests over nodes. Same semantics as the in-memory limiter.
 *
 * When Redis is unreachable the node counts on its own (the in-memory limiter) rather than
 * refusing or letting everything through: limits stay roughly right and the node keeps serving.
 */
import type { Redis } from 'ioredis';
import type { RateLimiter, RateLimitResult } from './rate-limiter.ts';
import { createInMemoryRateLimiter } from './in-memory-rate-limiter.ts';
import { closeRedisConnection, createRedisConnection, waitForRedisReady } from '../redis/create-redis-connection.ts';
import { RedisScript } from '../redis/redis-script.ts';
import type { RedisLogger } from '../redis/redis-logger.ts';
import { withCommandTimeout, type NodeRedisConnections, type RedisPartOptions } from '../redis/node-redis-connections.ts';
import type { Clock } from '../../base/clock.ts';

export interface RedisRateLimiterOptions extends RedisPartOptions {
  /** @default 500 (a limiter must not hold a request up for long) */
  commandTimeoutMs?: number;
  /** The windows of the node-local fallback. @default systemClock */
  clock?: Clock;
}

/** KEYS: counter. ARGV: window ms. Returns {count, ms until the window resets}. */
const HIT_SCRIPT = new RedisScript(`
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`);

export interface RedisRateLimiter extends RateLimiter {
  /** Resolves when Redis is connected; rejects after `timeoutMs` (the limiter works without). */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  /** true while Redis is connected (counts are shared). */
  readonly shared: boolean;
}

export function createRedisRateLimiter(options: RedisRateLimiterOptions): RedisRateLimiter {
  const commandTimeoutMs = options.commandTimeoutMs ?? 500;
  const ownsConnection = !options.connections;
  let redis: Redis;
  if (options.connections) {
    redis = options.connections.commands;
  } else {
    if (!options.redisUrl) throw new Error('createRedisRateLimiter needs connections or redisUrl');
    redis = createRedisConnection({
      url: options.redisUrl,
      connectionName: `miptech:${options.nodeId}:rate-limit`,
      commandTimeoutMs,
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }
  const local = createInMemoryRateLimiter(options.clock ? { clock: options.clock } : {});
  let degraded = false;

  return {
    get shared() {
      return redis.status === 'ready';
    },
    waitUntilReady(timeoutMs = 5000) {
      return waitForRedisReady(redis, timeoutMs);
    },
    async hit(key, limit, windowMs): Promise<RateLimitResult> {
      if (redis.status === 'ready') {
        try {
          // The window length is part of the key: two limits on the same subject never share a counter.
          // Raced: the shared connection's own timeout is longer than a request should wait.
          const hit = HIT_SCRIPT.run(redis, [`${options.keyPrefix}rl:${windowMs}:${key}`], [windowMs]);
          const reply = (await withCommandTimeout(hit, commandTimeoutMs)) as [
            number,
            number,
          ];
          if (degraded) {
            degraded = false;
            options.logger?.info({ node: options.nodeId }, 'shared rate limits restored');
          }
          const count = Number(reply[0]);
          const resetInMs = Math.max(0, Number(reply[1]));
          const allowed = count <= limit;
          return { allowed, remaining: Math.max(0, limit - count), retryAfterMs: allowed ? 0 : resetInMs };
        } catch (error) {
          if (!degraded) options.logger?.warn({ err: (error as Error).message }, 'redis rate limit failed; counting on this node');
          degraded = true;
        }
      } else if (!degraded) {
        degraded = true;
        options.logger?.warn({ status: redis.status }, 'redis unavailable; counting rate limits on this node');
      }
      return local.hit(key, limit, windowMs);
    },
    async close() {
      await Promise.all([local.close(), ownsConnection ? closeRedisConnection(redis) : undefined]);
    },
  };
}
