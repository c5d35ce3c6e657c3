/**
 * Injected timers driven by the test: `advance(ms)` runs, in time order, every callback that falls
 * due, including ones scheduled by the callbacks themselves. Lets state-machine tests walk through
 * backoff and heartbeat delays without waiting.
 */
import type { TimersLike } from '@miptech/client';

interface Scheduled {
  id: number;
  at: number;
  callback: () => void;
}

export class ManualTimers implements TimersLike {
  now = 0;
  private nextId = 1;
  private scheduled: Scheduled[] = [];

  setTimeout(callback: () => void, delayMs: number): number {
    const id = this.nextId++;
    this.scheduled.push({ id, at: this.now + Math.max(0, delayMs), callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.scheduled = this.scheduled.filter((entry) => entry.id !== handle);
  }

  /** Timers waiting to fire. */
  get pending(): number {
    return this.scheduled.length;
  }

  /** Delays of the timers waiting to fire, from now. */
  pendingDelays(): number[] {
    return this.scheduled.map((entry) => entry.at - this.now).sort((a, b) => a - b);
  }

  advance(ms: number): void {
    const until = this.now + ms;
    for (let guard = 0; guard < 10_000; guard++) {
      const next = this.scheduled.filter((entry) => entry.at <= until).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!next) break;
      this.scheduled = this.scheduled.filter((entry) => entry !== next);
      this.now = next.at;
      next.callback();
    }
    this.now = until;
  }
}
