/**
 * The rate-limit seam. The embedded default counts in memory (one node); the scaled setup shares
 * counters through Redis so a visitor cannot multiply its budget by spreading over nodes.
 */
export interface RateLimitResult {
  allowed: boolean;
  /** Hits left in the current window (0 when refused). */
  remaining: number;
  /** Milliseconds until the window resets; a refused caller is told to retry after this. */
  retryAfterMs: number;
}

export interface RateLimiter {
  /** Counts one hit for `key` in a window of `windowMs` allowing `limit` hits. */
  hit(key: string, limit: number, windowMs: number): Promise<RateLimitResult>;
  close(): Promise<void>;
}
