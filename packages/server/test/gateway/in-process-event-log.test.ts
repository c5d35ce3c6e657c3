import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChatEvent, ChatEventOf, NewChatEvent } from '../../src/backend/events/chat-event-log.ts';
import { createInProcessEventLog, estimateEventBytes } from '../../src/backend/events/in-process-event-log.ts';
import { LeaseSweeper } from '../../src/chat/lease-sweeper.ts';
import { openStore } from '../../src/store/open-store.ts';

async function setup(t: { after(fn: () => Promise<void> | void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'miptech-events-'));
  const { store } = await openStore({ databaseUrl: `sqlite:${join(dir, 'db.sqlite')}` });
  await store.tenants.create({ id: 't1' });
  const { chat } = await store.chats.createOrGet('t1', { sessionId: null, visitorId: null });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { store, chatId: chat.id };
}

const event = (chatId: string, n: number): NewChatEvent => ({
  tenantId: 't1',
  chatId,
  type: 'response_chunk',
  messageId: 'm',
  data: { message_id: 'm', chat_id: chatId, content: '', chunk_index: n },
});

/** The n of event(chatId, n). */
const chunkIndex = (e: ChatEvent) => (e.type === 'response_chunk' ? e.data.chunk_index : undefined);

test('concurrent appends across block boundaries get increasing seqs, delivered in seq order', async (t) => {
  const { store, chatId } = await setup(t);
  const log = createInProcessEventLog(store, { seqBlockSize: 3 });
  t.after(() => log.close());
  const delivered: ChatEvent[] = [];
  log.subscribe(chatId, (e) => delivered.push(e));
  const appended = await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(event(chatId, i))));
  assert.deepEqual(appended.map((e) => e.seq), Array.from({ length: 20 }, (_, i) => i + 1));
  assert.deepEqual(delivered.map((e) => e.seq), appended.map((e) => e.seq));
  assert.deepEqual(delivered.map(chunkIndex), Array.from({ length: 20 }, (_, i) => i));
});

test('replay returns the events after a seq; a fresh log continues above the old ceiling', async (t) => {
  const { store, chatId } = await setup(t);
  const first = createInProcessEventLog(store, { seqBlockSize: 10 });
  for (let i = 0; i < 4; i += 1) await first.append(event(chatId, i));
  const replay = await first.replay('t1', chatId, 2);
  assert.equal(replay.complete, true);
  assert.deepEqual(replay.events.map((e) => e.seq), [3, 4]);
  assert.equal(replay.lastSeq, 4);
  await first.close();

  const second = createInProcessEventLog(store, { seqBlockSize: 10 });
  t.after(() => second.close());
  const missing = await second.replay('t1', chatId, 4);
  assert.equal(missing.complete, false, 'seqs 5..10 may have been issued by the old process');
  const next = await second.append(event(chatId, 99));
  assert.ok(next.seq > 10);
});

test('a replay of a chat this process has not appended to reads where its window starts and reserves nothing', async (t) => {
  const { store, chatId } = await setup(t);
  await store.chats.reserveSeqBlock('t1', chatId, 40);
  const log = createInProcessEventLog(store, { seqBlockSize: 10 });
  t.after(() => log.close());
  const joined = await log.replay('t1', chatId, Number.MAX_SAFE_INTEGER);
  assert.deepEqual({ complete: joined.complete, lastSeq: joined.lastSeq }, { complete: false, lastSeq: 40 });
  assert.equal((await log.replay('t1', chatId, 40)).complete, true, 'nothing was issued above the ceiling');
  assert.equal(await store.chats.seqCeiling('t1', chatId), 40, 'joining wrote nothing');
  assert.equal((await log.append(event(chatId, 1))).seq, 41);
  assert.equal(await store.chats.seqCeiling('t1', chatId), 50);
  await assert.rejects(log.replay('t1', 'chat_missing', 0), { code: 'chat_not_found' });
});

test('the retention window is bounded; a replay from before it is incomplete', async (t) => {
  const { store, chatId } = await setup(t);
  const log = createInProcessEventLog(store, { maxEventsPerChat: 5 });
  t.after(() => log.close());
  for (let i = 0; i < 12; i += 1) await log.append(event(chatId, i));
  assert.equal((await log.replay('t1', chatId, 2)).complete, false);
  const recent = await log.replay('t1', chatId, 8);
  assert.equal(recent.complete, true);
  assert.deepEqual(recent.events.map((e) => e.seq), [9, 10, 11, 12]);
});

test('a listener that throws does not stop delivery to the others', async (t) => {
  const { store, chatId } = await setup(t);
  const log = createInProcessEventLog(store);
  t.after(() => log.close());
  const seen: number[] = [];
  log.subscribe(chatId, () => {
    throw new Error('bad listener');
  });
  const unsubscribe = log.subscribe(chatId, (e) => seen.push(e.seq));
  await log.append(event(chatId, 1));
  unsubscribe();
  await log.append(event(chatId, 2));
  assert.deepEqual(seen, [1]);
});

test('retained returns what is still kept of a chat whose window no longer reaches its start', async (t) => {
  const { store, chatId } = await setup(t);
  const log = createInProcessEventLog(store, { maxEventsPerChat: 5 });
  t.after(() => log.close());
  for (let i = 0; i < 12; i += 1) await log.append(event(chatId, i));
  assert.equal((await log.replay('t1', chatId, 0)).complete, false);
  assert.deepEqual((await log.retained!('t1', chatId)).map((e) => e.seq), [8, 9, 10, 11, 12]);
  assert.deepEqual(await log.retained!('another-tenant', chatId), [], 'another tenant sees nothing');
  assert.deepEqual(await log.retained!('t1', 'chat_unknown'), []);
});

test('an answer the sweeper ends on a single node keeps its text in a long chat', async (t) => {
  const { store, chatId } = await setup(t);
  const log = createInProcessEventLog(store, { maxEventsPerChat: 8 });
  t.after(() => log.close());
  // A long conversation: its first events have left the window.
  for (let i = 0; i < 20; i += 1) {
    const data = { message_id: `old-${i}`, client_message_id: null, chat_id: chatId, role: 'user' as const, content: `${i}`, created_at: new Date().toISOString() };
    await log.append({ tenantId: 't1', chatId, type: 'message_received', messageId: `old-${i}`, data });
  }
  const { message: user } = await store.messages.insertUser('t1', { chatId, content: 'Tell me a story', clientMessageId: null });
  const assistant = await store.messages.startAssistant('t1', {
    chatId,
    replyTo: user.id,
    leaseOwner: 'stalled-node',
    leaseExpiresAt: new Date(Date.now() - 1000).toISOString(),
  });
  const base = { tenantId: 't1', chatId, messageId: assistant.id };
  await log.append({ ...base, type: 'response_start', data: { message_id: assistant.id, user_message_id: user.id, chat_id: chatId } });
  for (const [index, content] of ['Once ', 'upon ', 'a time'].entries()) {
    await log.append({ ...base, type: 'response_chunk', data: { message_id: assistant.id, chat_id: chatId, content, chunk_index: index } });
  }
  const ends: ChatEventOf<'response_complete'>[] = [];
  log.subscribe(chatId, (e) => {
    if (e.type === 'response_complete') ends.push(e);
  });
  const outcome = await new LeaseSweeper({ store, eventLog: log, nodeId: 'this-node' }).sweepOnce();
  assert.equal(outcome.interrupted, 1);
  assert.equal(ends[0]?.data.content, 'Once upon a time', 'the terminal event carries the text the clients saw');
  assert.equal((await store.messages.get('t1', assistant.id))?.content, 'Once upon a time');
});

const textEvent = (chatId: string, text: string): NewChatEvent => ({
  tenantId: 't1',
  chatId,
  type: 'response_chunk',
  messageId: 'm',
  data: { message_id: 'm', chat_id: chatId, content: text, chunk_index: 0 },
});

test('retention is bounded in estimated bytes per chat; the newest event is kept whatever its size', async (t) => {
  const { store, chatId } = await setup(t);
  const log = createInProcessEventLog(store, { maxBytesPerChat: 10_000 });
  t.after(() => log.close());
  const size = estimateEventBytes(textEvent(chatId, 'x'.repeat(1000)));
  assert.ok(size >= 1000 && size < 1500, `a 1,000-character chunk is estimated at ${size} bytes`);
  for (let i = 0; i < 40; i += 1) await log.append(textEvent(chatId, 'x'.repeat(1000)));
  const kept = await log.retained!('t1', chatId);
  assert.ok(kept.length >= 5 && kept.length <= Math.floor(10_000 / size), `${kept.length} events kept`);
  assert.equal(kept.at(-1)?.seq, 40);
  assert.equal((await log.replay('t1', chatId, 10)).complete, false);
  assert.deepEqual((await log.replay('t1', chatId, 38)).events.map((e) => e.seq), [39, 40]);

  await log.append(textEvent(chatId, 'y'.repeat(50_000)));
  assert.deepEqual((await log.retained!('t1', chatId)).map((e) => e.seq), [41], 'only the oversized newest event is left');
  assert.equal((await log.replay('t1', chatId, 40)).complete, true);
});

test('the total byte budget is shared out between the chats that retain events', async (t) => {
  const { store, chatId } = await setup(t);
  const { chat: other } = await store.chats.createOrGet('t1', { sessionId: 'second', visitorId: null });
  const log = createInProcessEventLog(store, { maxTotalBytes: 20_000 });
  t.after(() => log.close());
  const chunk = 'z'.repeat(900);
  const size = estimateEventBytes(textEvent(chatId, chunk));
  for (let i = 0; i < 30; i += 1) await log.append(textEvent(chatId, chunk));
  const alone = (await log.retained!('t1', chatId)).length;
  assert.ok(alone * size <= 20_000 && alone >= 15, `alone, ${alone} events kept`);
  await log.append(textEvent(other.id, chunk));
  for (let i = 0; i < 5; i += 1) await log.append(textEvent(chatId, chunk));
  const shared = (await log.retained!('t1', chatId)).length;
  assert.ok(shared * size <= 10_000, `with a second chat retaining, ${shared} events kept`);
  assert.equal((await log.retained!('t1', other.id)).length, 1);
});
