/**
 * The time source of the server's timers: WebSocket heartbeat and join timeout, answer leases and
 * the lease sweeper, in-memory rate-limit windows. Production uses `systemClock` (Date.now and
 * Node's timers); tests pass a manual clock (@miptech/testing/manual-clock.ts) through
 * `createPlatform(config, { clock })` and move time forward themselves instead of waiting for it.
 *
 * Only timing the server decides goes through here. Time that other systems compare against
 * (token expiry, the ts of frames, stored created_at) stays on the wall clock.
 */

/** A pending timer of a Clock. `unref()` lets the process exit while it waits, as with Node's timers. */
export interface ClockTimer {
  unref(): unknown;
}

export interface Clock {
  /** Milliseconds since the epoch, like Date.now(). */
  now(): number;
  setTimeout(callback: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer | null | undefined): void;
  setInterval(callback: () => void, ms: number): ClockTimer;
  clearInterval(timer: ClockTimer | null | undefined): void;
}

/** Wall-clock time and Node's timers. */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (callback: () => void, ms: number): ClockTimer => setTimeout(callback, ms),
  clearTimeout: (timer: ClockTimer | null | undefined) => clearTimeout(timer as NodeJS.Timeout | undefined),
  setInterval: (callback: () => void, ms: number): ClockTimer => setInterval(callback, ms),
  clearInterval: (timer: ClockTimer | null | undefined) => clearInterval(timer as NodeJS.Timeout | undefined),
});
