/**
 * Open-loop load: every send time is fixed before the step starts, and latency is measured from the
 * scheduled time, not from when the generator got round to sending. A server that stalls therefore
 * cannot slow the offered load down and hide its delay (the "coordinated omission" trap of
 * closed-loop generators).
 */

export interface ScheduledSend {
  /** Index of the chat (visitor) that sends. */
  chat: number;
  /** 0-based index of this chat's message within the step. */
  sequence: number;
  /** Absolute send time, in the clock's milliseconds. */
  at: number;
}

export interface OpenLoopPlan {
  chats: number;
  /** Time between two messages of one chat; longer than one answer so a chat streams one at a time. */
  periodMs: number;
  /** Sends are scheduled in [startAt, startAt + durationMs). */
  durationMs: number;
  startAt: number;
}

/**
 * The send times of every chat, sorted by time. Chats are spread evenly over one period, so the
 * offered load is smooth instead of arriving in bursts of `chats` messages.
 */
export function buildOpenLoopSchedule(plan: OpenLoopPlan): ScheduledSend[] {
  const { chats, periodMs, durationMs, startAt } = plan;
  if (!Number.isInteger(chats) || chats < 0) throw new RangeError(`chats must be a non-negative integer, got ${chats}`);
  if (!(periodMs > 0)) throw new RangeError(`periodMs must be positive, got ${periodMs}`);
  if (!(durationMs >= 0)) throw new RangeError(`durationMs must be non-negative, got ${durationMs}`);
  const sends: ScheduledSend[] = [];
  for (let chat = 0; chat < chats; chat++) {
    const offset = (chat * periodMs) / chats;
    for (let sequence = 0; offset + sequence * periodMs < durationMs; sequence++) {
      sends.push({ chat, sequence, at: startAt + offset + sequence * periodMs });
    }
  }
  return sends.sort((a, b) => a.at - b.at || a.chat - b.chat);
}

/** Clock and timer functions, injectable so the dispatcher can be tested without waiting. */
export interface SchedulerClock {
  now(): number;
  setTimer(callback: () => void, delayMs: number): unknown;
  clearTimer(handle: unknown): void;
}

export const systemClock: SchedulerClock = {
  now: () => performance.timeOrigin + performance.now(),
  setTimer: (callback, delayMs) => setTimeout(callback, delayMs),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * Fires each scheduled send once, at or after its time. When the generator falls behind it sends
 * every overdue item at once rather than shifting the schedule (that is what keeps the loop open);
 * `lateness` tells by how much it was late so a saturated generator can be detected.
 */
export function dispatchSchedule(
  schedule: readonly ScheduledSend[],
  send: (item: ScheduledSend, lateness: number) => void,
  clock: SchedulerClock = systemClock,
  signal?: AbortSignal,
): Promise<{ sent: number }> {
  return new Promise((resolve) => {
    let index = 0;
    let timer: unknown = null;
    const finish = () => {
      if (timer !== null) clock.clearTimer(timer);
      timer = null;
      signal?.removeEventListener('abort', finish);
      resolve({ sent: index });
    };
    const tick = () => {
      timer = null;
      const now = clock.now();
      while (index < schedule.length && (schedule[index] as ScheduledSend).at <= now) {
        const item = schedule[index] as ScheduledSend;
        index++;
        send(item, now - item.at);
        if (signal?.aborted) return finish();
      }
      if (index >= schedule.length) return finish();
      timer = clock.setTimer(tick, Math.max(0, (schedule[index] as ScheduledSend).at - now));
    };
    if (signal?.aborted) return finish();
    signal?.addEventListener('abort', finish, { once: true });
    tick();
  });
}
