import { AppError } from '../../base/errors.ts';
import type { RateLimiter } from './rate-limiter.ts';

/** Counts a hit and throws AppError rate_limited (with retry_after in seconds) when over the limit. */
export async function enforceRateLimit(limiter: RateLimiter, key: string, limit: number, windowMs: number): Promise<void> {
  if (limit <= 0) return;
  const result = await limiter.hit(key, limit, windowMs);
  if (!result.allowed) {
    throw new AppError('rate_limited', undefined, { retryAfter: Math.max(1, Math.ceil(result.retryAfterMs / 1000)) });
  }
}
