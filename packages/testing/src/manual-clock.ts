/**
 * A Clock whose time moves only when a test says so: pass it to a platform
 * (`startTestPlatform({ overrides: { clock } })`) or to a part (rate limiter, lease sweeper), then
 * `await clock.advance(ms)` instead of waiting `ms` for a join timeout, a heartbeat or a rate
 * window. Timers fire in due order, each with `now()` at its own due time, as they would in real
 * time; between two timers the event loop turns once, so what a timer started (a database write, a
 * frame written to a socket) can run before the next one fires.
 *
 *   const clock = new ManualClock();
 *   const tp = await startTestPlatform({ overrides: { clock } });
 *   await clock.advance(tp.config.wsJoinTimeoutMs);
 */
import type { Clock, ClockTimer } from '@miptech/server';

interface PendingTimer {
  readonly id: number;
  due: number;
  /** Set for an interval: its period. */
  readonly every: number | null;
  readonly callback: () => void;
}

class ManualTimer implements ClockTimer {
  constructor(readonly id: number) {}
  unref(): this {
    // A manual timer never holds the process open: nothing waits for it in real time.
    return this;
  }
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class ManualClock implements Clock {
  private current: number;
  private readonly timers = new Map<number, PendingTimer>();
  private nextId = 1;

  /** @param start the time it shows first (ms since the epoch). @default Date.now() */
  constructor(start: number = Date.now()) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): ClockTimer {
    return this.add(callback, ms, null);
  }

  setInterval(callback: () => void, ms: number): ClockTimer {
    // Node runs a 0 ms interval every millisecond at most; so does this clock (no endless loop).
    return this.add(callback, ms, Math.max(1, ms));
  }

  clearTimeout(timer: ClockTimer | null | undefined): void {
    if (timer instanceof ManualTimer) this.timers.delete(timer.id);
  }

  clearInterval(timer: ClockTimer | null | undefined): void {
    this.clearTimeout(timer);
  }

  /** Timers waiting to fire. */
  get pendingTimers(): number {
    return this.timers.size;
  }

  /** When the next timer is due, or null when none is pending. */
  nextDue(): number | null {
    let next: number | null = null;
    for (const timer of this.timers.values()) if (next === null || timer.due < next) next = timer.due;
    return next;
  }

  /**
   * Moves the time forward by `ms`, firing every timer that falls due on the way (in due order,
   * an interval as often as it falls due), and resolves after the event loop turned once more.
   */
  async advance(ms: number): Promise<void> {
    if (ms < 0) throw new Error('a clock does not go back');
    const target = this.current + ms;
    for (;;) {
      const timer = this.dueBy(target);
      if (!timer) break;
      this.current = Math.max(this.current, timer.due);
      if (timer.every === null) this.timers.delete(timer.id);
      else timer.due += timer.every;
      timer.callback();
      await turn();
    }
    this.current = target;
    await turn();
  }

  private add(callback: () => void, ms: number, every: number | null): ClockTimer {
    const id = this.nextId++;
    const delay = Math.max(every === null ? 0 : 1, Number.isFinite(ms) ? ms : 0);
    this.timers.set(id, { id, due: this.current + delay, every, callback });
    return new ManualTimer(id);
  }

  /** The earliest timer due at or before `target` (the one created first among equals). */
  private dueBy(target: number): PendingTimer | null {
    let earliest: PendingTimer | null = null;
    for (const timer of this.timers.values()) {
      if (timer.due <= target && (earliest === null || timer.due < earliest.due)) earliest = timer;
    }
    return earliest;
  }
}
