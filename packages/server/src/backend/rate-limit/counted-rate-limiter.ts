/**
 * A RateLimiter that counts its refusals in the platform metrics, by limit. The limit is told by
 * the key's prefix, which each caller sets (`rest:` requests, `msg:` messages, `chat-create:` chat
 * creations); the counting happens here, once, for the in-memory and the Redis limiter alike.
 */
import type { PlatformMetrics, RateLimitName } from '../../observability/platform-metrics.ts';
import type { RateLimiter } from './rate-limiter.ts';

const LIMIT_OF_PREFIX: Readonly<Record<string, RateLimitName>> = {
  rest: 'requests',
  msg: 'messages',
  'chat-create': 'chat_creation',
};

export function countRateLimitRejections(limiter: RateLimiter, metrics: PlatformMetrics): RateLimiter {
  return {
    async hit(key, limit, windowMs) {
      const result = await limiter.hit(key, limit, windowMs);
      if (!result.allowed) {
        const name = LIMIT_OF_PREFIX[key.slice(0, key.indexOf(':'))];
        if (name) metrics.rateLimitRejected(name);
      }
      return result;
    },
    close: () => limiter.close(),
  };
}
