import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { RedisChatEventLog, type RedisChatEventLogOptions } from '../../src/backend/events/redis-event-log.ts';
import type { ChatEvent, NewChatEvent } from '../../src/backend/events/chat-event-log.ts';
import { deleteKeys, PrivateRedis, PRIVATE_REDIS_SKIP, REDIS_SKIP_REASON, testRedisUrl, uniquePrefix } from './helpers/test-redis.ts';
import { waitFor } from '@miptech/testing/wait-for.ts';

const redisUrl = testRedisUrl();

/** The database's hi/lo ceiling, kept in memory for these unit tests. */
class MemoryCeilings {
  readonly ceilings = new Map<string, number>();
  reservations = 0;
  async reserveSeqBlock(tenantId: string, chatId: string, blockSize: number): Promise<number> {
    const key = `${tenantId}/${chatId}`;
    const old = this.ceilings.get(key) ?? 0;
    this.ceilings.set(key, old + blockSize);
    this.reservations += 1;
    return old;
  }
}

function chunk(chatId: string, index: number, tenantId = 'tenant-a'): NewChatEvent {
  return {
    tenantId,
    chatId,
    type: 'response_chunk',
    messageId: 'm1',
    data: { message_id: 'm1', chat_id: chatId, content: `word${index} `, chunk_index: index },
  };
}

/** The chunk_index of a response_chunk (every event these tests append is one). */
function chunkIndex(event: ChatEvent | undefined): number | undefined {
  return event?.type === 'response_chunk' ? event.data.chunk_index : undefined;
}

describe('RedisChatEventLog', { skip: redisUrl === null ? REDIS_SKIP_REASON : false }, () => {
  const url = redisUrl ?? '';
  const prefix = uniquePrefix('event-log');
  const logs: RedisChatEventLog[] = [];
  const ceilings = new MemoryCeilings();

  function node(nodeId: string, extra: Partial<RedisChatEventLogOptions> = {}): RedisChatEventLog {
    const log = new RedisChatEventLog({ redisUrl: url, keyPrefix: prefix, nodeId, seqCeilings: ceilings, ...extra });
    logs.push(log);
    return log;
  }

  after(async () => {
    await Promise.all(logs.map((log) => log.close()));
    await deleteKeys(url, prefix);
  });

  test('events appended on one node reach subscribers on another with the same, increasing seq', async () => {
    const a = node('node-a');
    const b = node('node-b');
    await Promise.all([a.waitUntilReady(), b.waitUntilReady()]);
    const onA: ChatEvent[] = [];
    const onB: ChatEvent[] = [];
    a.subscribe('chat-1', (event) => onA.push(event));
    b.subscribe('chat-1', (event) => onB.push(event));
    await b.replay('tenant-a', 'chat-1', 0);
    await a.replay('tenant-a', 'chat-1', 0);

    const appended = await Promise.all(
      Array.from({ length: 40 }, (_, index) => (index % 2 === 0 ? a : b).append(chunk('chat-1', index))),
    );
    const seqs = appended.map((event) => event.seq).sort((x, y) => x - y);
    assert.equal(new Set(seqs).size, 40, 'every append got its own seq');
    await waitFor('delivery on both nodes', () => onA.length === 40 && onB.length === 40);
    assert.deepEqual(onA.map((event) => event.seq), seqs, 'node A delivers in seq order');
    assert.deepEqual(onB.map((event) => event.seq), seqs, 'node B delivers in seq order');
    assert.deepEqual(onB.find((event) => event.seq === seqs[3])?.data, appended.find((event) => event.seq === seqs[3])?.data);
  });

  test('appends issued together (one batch, many chats, new and crossing a seq block) keep per-chat order, delivery order and exact replay', async () => {
    const a = node('node-batch-a', { seqBlockSize: 4 });
    const b = node('node-batch-b', { seqBlockSize: 4 });
    await Promise.all([a.waitUntilReady(), b.waitUntilReady()]);
    const chats = ['batch-1', 'batch-2', 'batch-3'];
    const delivered = new Map<string, ChatEvent[]>(chats.map((chatId) => [chatId, []]));
    for (const chatId of chats) b.subscribe(chatId, (event) => delivered.get(chatId)?.push(event));
    // batch-1 and batch-2 are known to Redis, batch-3 has no counter yet: its events of the batch
    // are retried after the ceiling is reserved, still in the order they were issued.
    await Promise.all(chats.slice(0, 2).map((chatId) => b.replay('tenant-a', chatId, 0)));
    await b.replay('tenant-a', 'batch-3', 0);
    await deleteKeys(url, `${prefix}chat:{batch-3}`);

    // Ten events per chat, interleaved, all issued in the same turn of the event loop; the block
    // of 4 is crossed twice per chat inside the batch.
    const pending: Array<Promise<ChatEvent>> = [];
    for (let index = 0; index < 10; index += 1) for (const chatId of chats) pending.push(a.append(chunk(chatId, index)));
    const appended = await Promise.all(pending);
    for (const chatId of chats) {
      const own = appended.filter((event) => event.chatId === chatId);
      const seqs = own.map((event) => event.seq);
      assert.deepEqual(own.map(chunkIndex), Array.from({ length: 10 }, (_, index) => index));
      assert.ok(seqs.every((seq, index) => index === 0 || seq > (seqs[index - 1] ?? 0)), `${chatId}: seq increases in append order: ${seqs}`);
      await waitFor(`delivery of ${chatId} on node B`, () => delivered.get(chatId)?.length === 10);
      assert.deepEqual(delivered.get(chatId)?.map((event) => event.seq), seqs, `${chatId}: delivered in seq order, each once`);
      const fromThird = await b.replay('tenant-a', chatId, seqs[2] ?? 0);
      assert.equal(fromThird.complete, true);
      assert.equal(fromThird.lastSeq, seqs[9]);
      assert.deepEqual(fromThird.events.map((event) => event.seq), seqs.slice(3), `${chatId}: replay by last_seq is exact`);
    }
  });

  test('replay returns the events after a seq, then says when the retention window no longer covers it', async () => {
    const a = node('node-r', { maxEventsPerChat: 5 });
    await a.waitUntilReady();
    const first = await a.replay('tenant-a', 'chat-r', 0);
    assert.deepEqual(first, { complete: true, events: [], lastSeq: 0 }, 'a new chat replays empty and complete');

    const appended: ChatEvent[] = [];
    for (let index = 0; index < 10; index += 1) appended.push(await a.append(chunk('chat-r', index)));
    const seqs = appended.map((event) => event.seq);
    const last = seqs[9] ?? 0;

    const tail = await a.replay('tenant-a', 'chat-r', seqs[6] ?? 0);
    assert.equal(tail.complete, true);
    assert.equal(tail.lastSeq, last);
    assert.deepEqual(tail.events.map((event) => event.seq), seqs.slice(7));
    assert.deepEqual(tail.events.map(chunkIndex), [7, 8, 9]);

    const edge = await a.replay('tenant-a', 'chat-r', seqs[4] ?? 0);
    assert.equal(edge.complete, true, 'the five retained events are exactly what follows seq #5');
    assert.equal(edge.events.length, 5);

    const old = await a.replay('tenant-a', 'chat-r', seqs[2] ?? 0);
    assert.equal(old.complete, false, 'trimmed events make the replay incomplete');
    assert.equal(old.lastSeq, last);

    const upToDate = await a.replay('tenant-a', 'chat-r', last);
    assert.deepEqual(upToDate, { complete: true, events: [], lastSeq: last });

    const otherTenant = await a.replay('tenant-b', 'chat-r', seqs[6] ?? 0);
    assert.equal(otherTenant.events.length, 0, 'another tenant never sees the events');
  });

  test('seq keeps increasing when Redis loses the chat (restarts from the database ceiling)', async () => {
    const a = node('node-l', { seqBlockSize: 10 });
    await a.waitUntilReady();
    const before: number[] = [];
    for (let index = 0; index < 25; index += 1) before.push((await a.append(chunk('chat-l', index))).seq);
    assert.deepEqual(before, Array.from({ length: 25 }, (_, index) => index + 1), 'dense seqs while Redis keeps them');

    await deleteKeys(url, `${prefix}chat:{chat-l}`);
    const afterLoss = await a.append(chunk('chat-l', 25));
    assert.ok(afterLoss.seq > 25, `seq ${afterLoss.seq} continues above the lost ones`);
    const replay = await a.replay('tenant-a', 'chat-l', 20);
    assert.equal(replay.complete, false, 'events lost with Redis make an old resume incomplete');
    const fresh = await a.replay('tenant-a', 'chat-l', afterLoss.seq - 1);
    assert.equal(fresh.complete, true);
    assert.deepEqual(fresh.events.map((event) => event.seq), [afterLoss.seq]);
  });

  test('events published while the subscriber connection was down are caught up after it reconnects', async () => {
    const a = node('node-k');
    const b = node('node-j');
    await Promise.all([a.waitUntilReady(), b.waitUntilReady()]);
    const onA: ChatEvent[] = [];
    a.subscribe('chat-k', (event) => onA.push(event));
    await a.replay('tenant-a', 'chat-k', 0);
    await b.append(chunk('chat-k', 0));
    await waitFor('first event', () => onA.length === 1);

    const admin = new Redis(url);
    try {
      const clients = String(await admin.client('LIST'))
        .split('\n')
        .filter((line) => line.includes('name=miptech:node-k:events-sub'));
      assert.equal(clients.length, 1, 'one subscriber connection for the node');
      const id = /\bid=(\d+)/.exec(clients[0] ?? '')?.[1];
      // Kill it and publish at once: these events can only arrive through the catch-up.
      await admin.client('KILL', 'ID', String(id));
      for (let index = 1; index < 6; index += 1) await b.append(chunk('chat-k', index));
    } finally {
      admin.disconnect();
    }
    await waitFor('caught up', () => onA.length === 6);
    assert.deepEqual(onA.map(chunkIndex), [0, 1, 2, 3, 4, 5], 'in order, none twice');
    await b.append(chunk('chat-k', 6));
    await waitFor('live again', () => onA.length === 7);
  });

  test('one subscriber connection, channels reference-counted', async () => {
    const a = node('node-s');
    await a.waitUntilReady();
    const seen1: number[] = [];
    const seen2: number[] = [];
    const off1 = a.subscribe('chat-s', (event) => seen1.push(event.seq));
    const off2 = a.subscribe('chat-s', (event) => seen2.push(event.seq));
    await a.replay('tenant-a', 'chat-s', 0);
    const probe = new Redis(url);
    try {
      const count = async (): Promise<number> => {
        const reply = (await probe.pubsub('NUMSUB', `${prefix}events:chat-s`)) as [string, number];
        return Number(reply[1]);
      };
      assert.equal(await count(), 1, 'two listeners share one subscription');
      await a.append(chunk('chat-s', 0));
      await waitFor('both listeners', () => seen1.length === 1 && seen2.length === 1);
      off1();
      off1();
      assert.equal(await count(), 1, 'still subscribed for the second listener');
      await a.append(chunk('chat-s', 1));
      await waitFor('second listener', () => seen2.length === 2);
      assert.equal(seen1.length, 1, 'an unsubscribed listener gets nothing more');
      off2();
      await waitFor('unsubscribed from Redis', async () => (await count()) === 0);
    } finally {
      probe.disconnect();
    }
  });
});

describe('RedisChatEventLog without Redis', { skip: PRIVATE_REDIS_SKIP }, () => {
  let redis: PrivateRedis;
  const logs: RedisChatEventLog[] = [];
  const ceilings = new MemoryCeilings();

  before(async () => {
    redis = await PrivateRedis.start();
  });
  after(async () => {
    await Promise.all(logs.map((log) => log.close()));
    await redis.stop();
  });

  test('keeps serving local sockets, reports it, and recovers by itself when Redis returns', async () => {
    const options = { redisUrl: redis.url, keyPrefix: 'p:', seqCeilings: ceilings, seqBlockSize: 100, commandTimeoutMs: 500 };
    const a = new RedisChatEventLog({ ...options, nodeId: 'node-a' });
    const b = new RedisChatEventLog({ ...options, nodeId: 'node-b' });
    logs.push(a, b);
    await Promise.all([a.waitUntilReady(), b.waitUntilReady()]);
    const onA: ChatEvent[] = [];
    const onB: ChatEvent[] = [];
    a.subscribe('chat-x', (event) => onA.push(event));
    b.subscribe('chat-x', (event) => onB.push(event));
    await a.replay('t', 'chat-x', 0);
    await b.replay('t', 'chat-x', 0);
    for (let index = 0; index < 3; index += 1) await a.append(chunk('chat-x', index, 't'));
    await waitFor('delivery before the outage', () => onB.length === 3);
    assert.deepEqual((await a.health()).ready, true);

    await redis.stop();
    await waitFor('health reports the outage', async () => !(await a.health()).ready);
    const during: ChatEvent[] = [];
    for (let index = 3; index < 6; index += 1) during.push(await a.append(chunk('chat-x', index, 't')));
    assert.deepEqual(onA.slice(3).map(chunkIndex), [3, 4, 5], 'local sockets still get events');
    assert.ok((during[0]?.seq ?? 0) > (onA[2]?.seq ?? Infinity), 'local seqs continue upwards');
    const replayDuring = await a.replay('t', 'chat-x', onA[2]?.seq ?? 0);
    assert.equal(replayDuring.complete, false, 'no replay guarantee without Redis');

    await redis.start();
    await waitFor('health recovers', async () => (await a.health()).ready && (await b.health()).ready, 15_000);
    const afterRecovery = await b.append(chunk('chat-x', 6, 't'));
    await waitFor('cross-node delivery again', () => onA.some((event) => chunkIndex(event) === 6));
    assert.ok(afterRecovery.seq > (during[2]?.seq ?? Infinity), 'Redis continues above the seqs issued meanwhile');
    const seqsOnA = onA.map((event) => event.seq);
    assert.deepEqual(seqsOnA, [...seqsOnA].sort((x, y) => x - y), 'node A never delivered a seq backwards');
    assert.equal(chunkIndex(onB.at(-1)), 6);
  });
});
