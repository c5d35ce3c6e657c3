/**
 * The server's timers on an injected clock: the manual clock of the tests itself, in-memory
 * rate-limit windows, and lease expiry as the lease sweeper sees it. Nothing here waits for time to
 * pass: the clock is moved, and each test fails if the part read the wall clock instead.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '@miptech/testing/manual-clock.ts';
import { waitFor } from '@miptech/testing/wait-for.ts';
import type { ChatEvent } from '../../src/backend/events/chat-event-log.ts';
import { createInProcessEventLog } from '../../src/backend/events/in-process-event-log.ts';
import { createInMemoryRateLimiter } from '../../src/backend/rate-limit/in-memory-rate-limiter.ts';
import { LeaseSweeper } from '../../src/chat/lease-sweeper.ts';
import { openStore } from '../../src/store/open-store.ts';
import type { MessageRepository, Store } from '../../src/store/store.ts';

test('the manual clock fires timers in due order, at their due time, intervals until cleared', async () => {
  const clock = new ManualClock(1_000_000);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push(`late@${clock.now()}`), 300);
  clock.setTimeout(() => fired.push(`early@${clock.now()}`), 100);
  const cleared = clock.setTimeout(() => fired.push('cleared'), 50);
  clock.clearTimeout(cleared);
  const every = clock.setInterval(() => fired.push(`tick@${clock.now()}`), 120);

  await clock.advance(99);
  assert.deepEqual(fired, [], 'nothing is due yet');
  await clock.advance(201);
  assert.deepEqual(fired, ['early@1000100', 'tick@1000120', 'tick@1000240', 'late@1000300']);
  assert.equal(clock.now(), 1_000_300);
  clock.clearInterval(every);
  await clock.advance(1000);
  assert.equal(fired.length, 4, 'a cleared interval fires no more');
  assert.equal(clock.pendingTimers, 0);
});

test('in-memory rate-limit windows reset when the clock passes their end, not before', async (t) => {
  const clock = new ManualClock();
  const limiter = createInMemoryRateLimiter({ clock });
  t.after(() => limiter.close());

  assert.equal((await limiter.hit('visitor', 2, 60_000)).allowed, true);
  await clock.advance(10_000);
  assert.equal((await limiter.hit('visitor', 2, 60_000)).allowed, true);
  const refused = await limiter.hit('visitor', 2, 60_000);
  assert.equal(refused.allowed, false);
  assert.equal(refused.retryAfterMs, 50_000, 'the rest of the window, by the clock');

  await clock.advance(49_999);
  assert.equal((await limiter.hit('visitor', 2, 60_000)).allowed, false, 'one millisecond before the window ends');
  await clock.advance(1);
  const next = await limiter.hit('visitor', 2, 60_000);
  assert.equal(next.allowed, true, 'a new window');
  assert.equal(next.remaining, 1);
});

test('the lease sweeper sweeps on the clock and takes an answer over only once the clock passes its lease', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'miptech-clock-'));
  const { store } = await openStore({ databaseUrl: `sqlite:${join(dir, 'db.sqlite')}` });
  const log = createInProcessEventLog(store);
  t.after(async () => {
    await log.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  await store.tenants.create({ id: 't1' });
  const { chat } = await store.chats.createOrGet('t1', { sessionId: null, visitorId: null });
  const { message: user } = await store.messages.insertUser('t1', { chatId: chat.id, content: 'Still there?', clientMessageId: null });

  const clock = new ManualClock();
  const leaseMs = 5000;
  const assistant = await store.messages.startAssistant('t1', {
    chatId: chat.id,
    replyTo: user.id,
    leaseOwner: 'stalled-node',
    leaseExpiresAt: new Date(clock.now() + leaseMs).toISOString(),
  });
  const leaseExpiresAt = clock.now() + leaseMs;
  /** Each answer end's status, and the clock's time when it was published. */
  const ends: Array<{ status: unknown; at: number }> = [];
  log.subscribe(chat.id, (event: ChatEvent) => {
    if (event.type === 'response_complete') ends.push({ status: (event.data as { status?: unknown }).status, at: clock.now() });
  });

  // Counts the sweeps (each one looks for expired leases first) and when each look finished.
  const looks: Array<{ done: boolean }> = [];
  const messages = Object.assign(Object.create(store.messages) as MessageRepository, {
    findExpiredStreaming: async (...args: Parameters<MessageRepository['findExpiredStreaming']>) => {
      const look = { done: false };
      looks.push(look);
      try {
        return await store.messages.findExpiredStreaming(...args);
      } finally {
        look.done = true;
      }
    },
  });
  const sweeper = new LeaseSweeper({
    store: Object.assign(Object.create(store) as Store, { messages }),
    eventLog: log,
    nodeId: 'sweeping-node',
    intervalMs: 1000,
    clock,
  });
  sweeper.start();
  t.after(() => sweeper.stop());

  /** Moves the clock by one sweep interval (up to 20% jitter) and waits for that sweep to finish. */
  async function nextSweep(): Promise<void> {
    const before = looks.length;
    await clock.advance(1200);
    await waitFor('a sweep', () => looks.length === before + 1 && looks[before]!.done, 5000);
    // The sweep schedules the next one when it is done (the clock does not move meanwhile).
    await waitFor('the next sweep to be scheduled', () => clock.pendingTimers === 1, 5000);
  }

  assert.equal(looks.length, 0, 'no sweep before the clock moves');
  await nextSweep();
  assert.equal((await store.messages.get('t1', assistant.id))?.status, 'streaming', 'the lease still holds by the clock');
  assert.equal(ends.length, 0);

  for (let sweeps = 0; sweeps < 10 && ends.length === 0; sweeps += 1) await nextSweep();
  assert.equal(ends.length, 1, 'the sweeper ended the answer once the clock passed its lease');
  assert.ok(ends[0]!.at > leaseExpiresAt, 'not before the lease ran out');
  assert.equal(ends[0]!.status, 'interrupted');
  assert.equal((await store.messages.get('t1', assistant.id))?.status, 'interrupted');
});
