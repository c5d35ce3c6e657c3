/**
 * Full-jitter exponential backoff: the delay is uniformly random between 0 and
 * `min(maxDelayMs, baseDelayMs · 2^(attempt-1))`. Spreading reconnects over the whole window keeps
 * thousands of widgets from hitting a restarted node in the same millisecond.
 */
export interface BackoffSettings {
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffSettings = { baseDelayMs: 500, maxDelayMs: 30_000 };

/** Upper bound of the delay before attempt `attempt` (1-based). */
export function backoffCeiling(attempt: number, settings: BackoffSettings = DEFAULT_BACKOFF): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  return Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** exponent);
}

/** Delay before attempt `attempt` (1-based), using `random()` in [0, 1). */
export function fullJitterDelay(
  attempt: number,
  settings: BackoffSettings = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  return Math.floor(random() * backoffCeiling(attempt, settings));
}
