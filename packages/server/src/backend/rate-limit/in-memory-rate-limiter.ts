/**
 * Fixed-window counters in a Map: enough for one node. Expired windows are swept on a timer that
 * does not keep the process alive. Windows follow the injected clock (tests move it forward
 * instead of waiting for a window to reset).
 */
import { systemClock, type Clock } from '../../base/clock.ts';
import type { RateLimiter, RateLimitResult } from './rate-limiter.ts';

interface Window {
  count: number;
  resetAt: number;
}

export function createInMemoryRateLimiter(options: { sweepIntervalMs?: number; clock?: Clock } = {}): RateLimiter {
  const clock = options.clock ?? systemClock;
  const windows = new Map<string, Window>();
  const sweep = clock.setInterval(() => {
    const now = clock.now();
    for (const [key, window] of windows) if (window.resetAt <= now) windows.delete(key);
  }, options.sweepIntervalMs ?? 30_000);
  sweep.unref();

  return {
    async hit(key, limit, windowMs): Promise<RateLimitResult> {
      const now = clock.now();
      let window = windows.get(key);
      if (!window || window.resetAt <= now) {
        window = { count: 0, resetAt: now + windowMs };
        windows.set(key, window);
      }
      window.count += 1;
      const allowed = window.count <= limit;
      return { allowed, remaining: Math.max(0, limit - window.count), retryAfterMs: allowed ? 0 : window.resetAt - now };
    },
    async close() {
      clock.clearInterval(sweep);
      windows.clear();
    },
  };
}
