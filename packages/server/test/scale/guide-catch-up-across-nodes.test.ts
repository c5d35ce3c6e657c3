/**
 * The catch-up of a guide client (a join without `last_seq`, docs/protocol.md "resume") across two
 * platform nodes sharing PostgreSQL and Redis. A client that saw an answer end on node A and
 * reconnects to node B (another node behind the load balancer, or A's 1001 at a rolling deploy)
 * must not get that end a second time; a client that was gone when the answer ended gets it once,
 * on whichever node it joins, and not again after that — also when it joins in the instant between
 * the end's publication and the storing of its row (the row still reads `streaming`).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { AnswerEngine, AnswerPart, AnswerRequest } from '../../src/engines/answer-engine.ts';
import type { MessageRepository } from '../../src/store/store.ts';
import { CATCH_UP_WINDOW_MS } from '../../src/backend/delivered-answer-ends.ts';
import { RedisDeliveredAnswerEnds } from '../../src/backend/redis-delivered-answer-ends.ts';
import { manualGate } from '@miptech/testing/scripted-engine.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin, type ReceivedFrame, type WsTestClient } from '@miptech/testing/ws-test-client.ts';
import { testDatabaseTargets, type TestDatabase } from '@miptech/testing/test-databases.ts';
import { deleteKeys, REDIS_SKIP_REASON, testRedisUrl, uniquePrefix } from './helpers/test-redis.ts';
import { waitFor } from '@miptech/testing/wait-for.ts';

const redisUrl = testRedisUrl();
const postgres = testDatabaseTargets().find((target) => target.dialect === 'postgres')!;

/**
 * "hold …" questions get a first part, then wait for the test's `release` before the rest (an
 * answer that ends while the test chooses); everything else gets one chunk.
 */
function holdingEngine(): AnswerEngine & { release(): void } {
  let gate = manualGate();
  return {
    name: 'holding',
    release() {
      gate.open();
      gate = manualGate();
    },
    async *stream(request: AnswerRequest): AsyncIterable<AnswerPart> {
      if (!request.question.startsWith('hold')) {
        yield { type: 'text', text: 'Done.' };
        return;
      }
      const released = gate.promise;
      yield { type: 'text', text: 'Part one.' };
      await Promise.race([released, new Promise((resolve) => request.signal.addEventListener('abort', resolve, { once: true }))]);
      if (request.signal.aborted) return;
      yield { type: 'text', text: ' Part two.' };
    },
  };
}

/** A catch-up end: flagged, without seq, naming the answer, with its whole stored text. */
function assertCatchUp(frame: ReceivedFrame, messageId: string, content: string): void {
  assert.equal(frame.data.catch_up, true);
  assert.equal(frame.seq, undefined);
  assert.equal(frame.message_id, messageId);
  assert.equal(frame.data.content, content);
  assert.equal(frame.data.status, 'complete');
}

/** Types of the frames after chat_joined, up to the pong of a ping sent after the join (frames are in order). */
async function framesAfterJoin(ws: WsTestClient): Promise<ReceivedFrame[]> {
  const ts = Date.now();
  ws.send({ type: 'ping', data: { ts } });
  await ws.waitFor((frame) => frame.type === 'pong' && frame.data.ts === ts);
  const joinedAt = ws.frames.findIndex((frame) => frame.type === 'chat_joined');
  return ws.frames.slice(joinedAt + 1).filter((frame) => frame.type !== 'ping' && frame.type !== 'pong');
}

const typesOf = (frames: ReceivedFrame[]) => frames.map((frame) => frame.type);

describe('guide catch-up across nodes (PostgreSQL + Redis)', { skip: redisUrl === null ? REDIS_SKIP_REASON : postgres.skip }, () => {
  const prefix = uniquePrefix('catch-up');
  const engineA = holdingEngine();
  let database: TestDatabase;
  let nodeA: TestPlatform;
  let nodeB: TestPlatform;
  let redis: Redis;

  before(async () => {
    database = await postgres.create();
    const shared = {
      database: { databaseUrl: database.databaseUrl, schema: database.schema },
      env: { REDIS_URL: redisUrl ?? '', REDIS_KEY_PREFIX: prefix, JWT_SECRET: `catch-up-secret-${randomBytes(16).toString('hex')}` },
    };
    // One after the other: the first runs the migrations.
    nodeA = await startTestPlatform({ ...shared, overrides: { engine: engineA } });
    nodeB = await startTestPlatform({ ...shared, overrides: { engine: holdingEngine() } });
    redis = new Redis(redisUrl ?? '');
  });
  after(async () => {
    await Promise.all([nodeA?.close(), nodeB?.close()]);
    redis?.disconnect();
    await deleteKeys(redisUrl ?? '', prefix);
    await database?.dispose();
  });

  /** A guide client (no last_seq) of a new chat on node A. */
  async function guideChatOnA() {
    const token = await nodeA.mintToken();
    const created = await connectAndJoin(nodeA.wsUrl(), { token, create: true });
    return { token, chatId: String(created.joined.data.chat_id), ws: created.ws };
  }

  /** The stored answer once its row is no longer streaming (with Redis the end is published just before it is stored). */
  function storedAnswer(messageId: string) {
    return waitFor('the answer to be stored', async () => {
      const row = await nodeB.platform.services.store.messages.get(nodeB.tenantId, messageId);
      return row && row.status !== 'streaming' && row.completedAt ? row : null;
    });
  }

  async function joinWithoutLastSeq(node: TestPlatform, token: string, chatId: string, t: { after(fn: () => unknown): void }) {
    const { ws } = await connectAndJoin(node.wsUrl(), { token, chatId });
    t.after(() => ws.close());
    return framesAfterJoin(ws);
  }

  test('an end seen live on node A is not sent again to the client reconnecting to node B', async (t) => {
    const { token, chatId, ws } = await guideChatOnA();
    ws.send({ type: 'user_message', data: { text: 'short question' } });
    const answer = await ws.collectAnswer({ timeoutMs: 10_000 });
    await ws.close();
    const stored = await storedAnswer(answer.messageId);
    assert.equal(stored.status, 'complete');
    assert.ok(Date.now() - Date.parse(stored.completedAt!) < CATCH_UP_WINDOW_MS, 'inside the window: only the record prevents a catch-up');

    const key = `${prefix}chat:{${chatId}}:end-delivered:${answer.messageId}`;
    const ttl = await redis.pttl(key);
    assert.ok(ttl > CATCH_UP_WINDOW_MS, `the delivery is recorded in Redis for longer than the window (pttl ${ttl})`);

    assert.deepEqual(typesOf(await joinWithoutLastSeq(nodeB, token, chatId, t)), [], 'node B sends no second response_complete');
    assert.deepEqual(typesOf(await joinWithoutLastSeq(nodeA, token, chatId, t)), [], 'nor does node A');
  });

  test('a client gone before the end gets the catch-up once, on node B, and not again on either node', async (t) => {
    const { token, chatId, ws } = await guideChatOnA();
    ws.send({ type: 'user_message', data: { text: 'hold on, a long one' } });
    const chunk = await ws.waitFor('response_chunk', 10_000);
    const messageId = String(chunk.data.message_id);
    await ws.close();
    // Node A must have let the socket go before the answer ends (nothing else is connected to it).
    await waitFor('node A to drop the socket', () => nodeA.platform.gateway.connectionCount === 0);
    engineA.release();
    const stored = await storedAnswer(messageId);
    assert.equal(stored.content, 'Part one. Part two.');
    assert.equal(ws.all('response_complete').length, 0, 'the client did not see the end');

    const onB = await joinWithoutLastSeq(nodeB, token, chatId, t);
    assert.deepEqual(typesOf(onB), ['response_complete'], 'exactly one catch-up right after chat_joined');
    assertCatchUp(onB[0]!, messageId, 'Part one. Part two.');

    // That client has now seen the end: the next join, wherever it lands, gets nothing extra.
    assert.deepEqual(typesOf(await joinWithoutLastSeq(nodeA, token, chatId, t)), [], 'node A knows through Redis');
    assert.deepEqual(typesOf(await joinWithoutLastSeq(nodeB, token, chatId, t)), [], 'node B knows');
  });

  /**
   * Node A publishes an answer's end (Redis) and then waits to store its row until `release`: the
   * instant in which the row still reads `streaming` though the end went out.
   */
  function holdNextAnswerStoreOnA(): { release(): void } {
    const messages: MessageRepository = nodeA.platform.services.store.messages;
    const original = messages.finishAssistant;
    const gate = manualGate();
    messages.finishAssistant = async (...args: Parameters<MessageRepository['finishAssistant']>) => {
      messages.finishAssistant = original;
      await gate.promise;
      return original.apply(messages, args);
    };
    return { release: gate.open };
  }

  /** An answer held on node A after its first part; `end()` lets it end while its row is held unstored. */
  async function answerEndingUnstoredOnA() {
    const { token, chatId, ws } = await guideChatOnA();
    ws.send({ type: 'user_message', data: { text: 'hold on, a long one' } });
    const messageId = String((await ws.waitFor('response_chunk', 10_000)).data.message_id);
    const store = holdNextAnswerStoreOnA();
    const end = async () => {
      engineA.release();
      await waitFor('the end to be published', async () => {
        const { events } = await nodeB.platform.services.eventLog.replay(nodeB.tenantId, chatId, 0);
        return events.some((event) => event.type === 'response_complete' && event.messageId === messageId);
      });
      const row = await nodeB.platform.services.store.messages.get(nodeB.tenantId, messageId);
      assert.equal(row?.status, 'streaming', 'the row is not stored yet');
    };
    return { token, chatId, ws, messageId, end, releaseStore: store.release };
  }

  test('a client joining between the published end and the stored row gets the end once, from the log', async (t) => {
    const { token, chatId, ws, messageId, end, releaseStore } = await answerEndingUnstoredOnA();
    t.after(releaseStore);
    await ws.close();
    await waitFor('node A to drop the socket', () => nodeA.platform.gateway.connectionCount === 0);
    await end();

    const onB = await joinWithoutLastSeq(nodeB, token, chatId, t);
    assert.deepEqual(typesOf(onB), ['response_complete'], 'one catch-up, though the row reads streaming');
    assertCatchUp(onB[0]!, messageId, 'Part one. Part two.');
    // Recorded like any catch-up: the next join, on either node, gets nothing (node A asks Redis).
    await waitFor('the catch-up to be recorded in redis', async () => (await redis.exists(`${prefix}chat:{${chatId}}:end-delivered:${messageId}`)) === 1);
    assert.deepEqual(typesOf(await joinWithoutLastSeq(nodeA, token, chatId, t)), [], 'node A knows through Redis');

    releaseStore();
    const stored = await storedAnswer(messageId);
    assert.equal(stored.content, onB[0]!.data.content);
    assert.deepEqual(typesOf(await joinWithoutLastSeq(nodeB, token, chatId, t)), [], 'node B knows');
  });

  test('a client joining in that instant gets nothing when another socket of the chat saw the end live', async (t) => {
    const { token, chatId, ws, messageId, end, releaseStore } = await answerEndingUnstoredOnA();
    t.after(releaseStore);
    t.after(() => ws.close());
    await end();
    await ws.waitFor((frame) => frame.type === 'response_complete' && frame.data.message_id === messageId, 10_000);
    await waitFor('the live delivery to be recorded in redis', async () => (await redis.exists(`${prefix}chat:{${chatId}}:end-delivered:${messageId}`)) === 1);

    assert.deepEqual(typesOf(await joinWithoutLastSeq(nodeB, token, chatId, t)), [], 'no catch-up on node B');
    releaseStore();
    await storedAnswer(messageId);
  });

  // Last: node A shuts down.
  test('rolling deploy: after node A’s 1001 the client that saw the end on A rejoins B without a second response_complete', async (t) => {
    const { token, chatId, ws } = await guideChatOnA();
    ws.send({ type: 'user_message', data: { text: 'short question' } });
    const answer = await ws.collectAnswer({ timeoutMs: 10_000 });
    await storedAnswer(answer.messageId);

    const closing = nodeA.platform.close({ graceMs: 5000 });
    assert.equal((await ws.waitForClose(10_000)).code, 1001);
    assert.deepEqual(typesOf(await joinWithoutLastSeq(nodeB, token, chatId, t)), []);
    await closing;
    assert.equal(ws.all('response_complete').length, 1, 'the end was seen once, live');
  });
});

describe('delivered answer ends without a reachable Redis', () => {
  test('records stay on the node, questions Redis cannot answer count as not delivered, nothing throws', async (t) => {
    // Nothing listens on port 1: the connection keeps retrying and commands fail at once.
    const options = { redisUrl: 'redis://127.0.0.1:1', keyPrefix: uniquePrefix('ends-down'), commandTimeoutMs: 200 };
    const nodeOne = new RedisDeliveredAnswerEnds({ ...options, nodeId: 'one' });
    const nodeTwo = new RedisDeliveredAnswerEnds({ ...options, nodeId: 'two' });
    t.after(() => Promise.all([nodeOne.close(), nodeTwo.close()]));
    nodeOne.record('chat_1', 'msg_1');
    assert.equal(await nodeOne.wasDelivered('chat_1', 'msg_1'), true);
    assert.equal(await nodeOne.wasDelivered('chat_1', 'msg_0'), false);
    assert.equal(await nodeTwo.wasDelivered('chat_1', 'msg_1'), false, 'another node cannot know: it sends the catch-up');
  });
});
