import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOpenLoopSchedule, dispatchSchedule, type SchedulerClock, type ScheduledSend } from '../src/load/open-loop-schedule.ts';

test('each chat sends once per period, chats spread evenly, sorted by time', () => {
  const schedule = buildOpenLoopSchedule({ chats: 4, periodMs: 100, durationMs: 250, startAt: 1000 });
  // Offsets 0, 25, 50, 75; sends while offset + k*100 < 250 → chats 0 and 1 send 3 times, 2 and 3 twice.
  assert.equal(schedule.length, 10);
  assert.deepEqual(schedule.slice(0, 5).map((s) => [s.chat, s.sequence, s.at]), [
    [0, 0, 1000], [1, 0, 1025], [2, 0, 1050], [3, 0, 1075], [0, 1, 1100],
  ]);
  for (let i = 1; i < schedule.length; i++) {
    assert.ok((schedule[i] as ScheduledSend).at >= (schedule[i - 1] as ScheduledSend).at);
  }
  for (const send of schedule) assert.ok(send.at >= 1000 && send.at < 1250);
  const perChat = new Map<number, number[]>();
  for (const send of schedule) perChat.set(send.chat, [...(perChat.get(send.chat) ?? []), send.at]);
  for (const times of perChat.values()) {
    for (let i = 1; i < times.length; i++) assert.equal((times[i] as number) - (times[i - 1] as number), 100);
  }
});

test('invalid plans are rejected and an empty plan schedules nothing', () => {
  assert.throws(() => buildOpenLoopSchedule({ chats: -1, periodMs: 10, durationMs: 10, startAt: 0 }), RangeError);
  assert.throws(() => buildOpenLoopSchedule({ chats: 1.5, periodMs: 10, durationMs: 10, startAt: 0 }), RangeError);
  assert.throws(() => buildOpenLoopSchedule({ chats: 1, periodMs: 0, durationMs: 10, startAt: 0 }), RangeError);
  assert.deepEqual(buildOpenLoopSchedule({ chats: 0, periodMs: 10, durationMs: 10, startAt: 0 }), []);
});

/** A clock that only moves when the test says so; timers fire when time passes their due time. */
function manualClock(start: number) {
  let now = start;
  const timers = new Map<number, { due: number; callback: () => void }>();
  let nextId = 1;
  const clock: SchedulerClock = {
    now: () => now,
    setTimer: (callback, delayMs) => {
      const id = nextId++;
      timers.set(id, { due: now + delayMs, callback });
      return id;
    },
    clearTimer: (handle) => void timers.delete(handle as number),
  };
  /** Moves the clock to `to` in one jump (a stalled event loop) and fires what is due. */
  const jumpTo = (to: number) => {
    now = to;
    for (let guard = 0; guard < 1000; guard++) {
      const due = [...timers.entries()].find(([, t]) => t.due <= now);
      if (!due) return;
      timers.delete(due[0]);
      due[1].callback();
    }
    throw new Error('timer loop did not settle');
  };
  return { clock, jumpTo, pending: () => timers.size };
}

test('dispatch sends on time, and a stalled loop sends every overdue item without shifting the schedule', async () => {
  const schedule = buildOpenLoopSchedule({ chats: 2, periodMs: 100, durationMs: 300, startAt: 1000 });
  const { clock, jumpTo, pending } = manualClock(990);
  const sent: Array<{ at: number; lateness: number }> = [];
  const done = dispatchSchedule(schedule, (item, lateness) => sent.push({ at: item.at, lateness }), clock);
  assert.equal(sent.length, 0);
  jumpTo(1000);
  assert.deepEqual(sent, [{ at: 1000, lateness: 0 }]);
  // The loop stalls for 160 ms: the items due at 1050, 1100 and 1150 all go out now, each with its own lateness.
  jumpTo(1160);
  assert.deepEqual(sent.slice(1).map((s) => [s.at, s.lateness]), [[1050, 110], [1100, 60], [1150, 10]]);
  jumpTo(1400);
  const result = await done;
  assert.equal(result.sent, schedule.length);
  assert.equal(sent.length, schedule.length);
  assert.equal(pending(), 0);
});

test('dispatch stops at abort and reports how many went out', async () => {
  const schedule = buildOpenLoopSchedule({ chats: 1, periodMs: 10, durationMs: 100, startAt: 0 });
  const { clock, jumpTo, pending } = manualClock(0);
  const controller = new AbortController();
  let count = 0;
  const done = dispatchSchedule(schedule, () => {
    count++;
    if (count === 3) controller.abort();
  }, clock, controller.signal);
  jumpTo(50);
  const result = await done;
  assert.equal(result.sent, 3);
  assert.equal(pending(), 0);
});
