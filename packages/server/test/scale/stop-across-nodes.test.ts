/**
 * stop_generation across nodes: two platform nodes sharing PostgreSQL and Redis. An answer runs on
 * node A (the node that received its user message) while the visitor's socket is on node B (it
 * moved after a close, or after A's 1001 at a rolling deploy). The stop sent to B reaches A through
 * Redis, A aborts the upstream request, the answer is stored as `stopped` and the visitor gets one
 * terminal response_complete. A stop that reaches A before A started the answer (its assistant row
 * is still being inserted) stops it as well. A stop never crosses tenants or chats, whatever ids it
 * names, and a stop for an answer that already ended changes nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { StopRequest } from '../../src/backend/stop-relay.ts';
import type { AnswerRequest } from '../../src/engines/answer-engine.ts';
import { RedisStopRelay } from '../../src/backend/events/redis-stop-relay.ts';
import { api } from '@miptech/testing/api-client.ts';
import { holdNextAnswerStart } from '@miptech/testing/hold-answer-start.ts';
import { createScriptedEngine, type ScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin, type ReceivedFrame, type WsTestClient } from '@miptech/testing/ws-test-client.ts';
import { testDatabaseTargets, type TestDatabase } from '@miptech/testing/test-databases.ts';
import { deleteKeys, REDIS_SKIP_REASON, testRedisUrl, uniquePrefix } from './helpers/test-redis.ts';
import { waitFor } from '@miptech/testing/wait-for.ts';

const redisUrl = testRedisUrl();
const postgres = testDatabaseTargets().find((target) => target.dialect === 'postgres')!;
const TENANT_Y = 'stop-tenant-y';
/** A long, paced answer (about 10 s): it is still running whenever a test stops it. */
const LONG = Array.from({ length: 400 }, (_, i) => ` w${i}`);
const CHUNK_DELAY_MS = 25;

/** Answers "short …" questions with one chunk, everything else with the long answer. */
function engine(): ScriptedEngine {
  return createScriptedEngine({ chunks: (request: AnswerRequest) => (request.question.startsWith('short') ? ['Done.'] : LONG), delayMs: CHUNK_DELAY_MS });
}

const lastSeq = (ws: WsTestClient) => Math.max(0, ...ws.frames.map((frame) => frame.seq ?? 0));
const isEndOf = (messageId: string) => (frame: ReceivedFrame) => frame.type === 'response_complete' && frame.data.message_id === messageId;

describe('stop_generation across nodes (PostgreSQL + Redis)', { skip: redisUrl === null ? REDIS_SKIP_REASON : postgres.skip }, () => {
  const prefix = uniquePrefix('stop-relay');
  const engineA = engine();
  const engineB = engine();
  let database: TestDatabase;
  let nodeA: TestPlatform;
  let nodeB: TestPlatform;

  before(async () => {
    database = await postgres.create();
    const shared = {
      database: { databaseUrl: database.databaseUrl, schema: database.schema },
      env: { REDIS_URL: redisUrl ?? '', REDIS_KEY_PREFIX: prefix, JWT_SECRET: `stop-secret-${randomBytes(16).toString('hex')}` },
    };
    // One after the other: the first runs the migrations.
    nodeA = await startTestPlatform({ ...shared, overrides: { engine: engineA } });
    nodeB = await startTestPlatform({ ...shared, overrides: { engine: engineB } });
    await nodeA.createTenant(TENANT_Y);
  });
  after(async () => {
    await Promise.all([nodeA?.close(), nodeB?.close()]);
    await deleteKeys(redisUrl ?? '', prefix);
    await database?.dispose();
  });

  /**
   * A visitor whose answer is being generated on node A and whose socket is now on node B:
   * joined on A, asked there, saw the answer start, closed the socket and resumed on B.
   */
  async function answerOnAWatchedFromB(tenantId = nodeA.tenantId) {
    const token = await nodeA.mintToken({ tenantId });
    const onA = await connectAndJoin(nodeA.wsUrl({}, tenantId), { token, create: true });
    const chatId = String(onA.joined.data.chat_id);
    const asked = engineA.requests.length;
    onA.ws.send({ type: 'user_message', data: { text: 'Tell me everything', client_message_id: `c-${randomBytes(4).toString('hex')}` } });
    const firstChunk = await onA.ws.waitFor('response_chunk', 10_000);
    const messageId = String(firstChunk.data.message_id);
    const request = engineA.requests[asked]!;
    await onA.ws.close();
    const onB = await connectAndJoin(nodeB.wsUrl({}, tenantId), { token, chatId, lastSeq: lastSeq(onA.ws) });
    assert.equal(onB.joined.data.resumed, true);
    await onB.ws.waitFor((frame) => frame.type === 'response_chunk' && frame.data.message_id === messageId, 10_000);
    return { token, chatId, messageId, request, ws: onB.ws };
  }

  /** Every response_complete of the message in the chat's shared log (what any client can get). */
  async function endsInLog(tenantId: string, chatId: string, messageId: string) {
    const { events } = await nodeB.platform.services.eventLog.replay(tenantId, chatId, 0);
    return events.filter((event) => event.type === 'response_complete').filter((event) => event.messageId === messageId);
  }

  test('a stop sent to node B aborts the answer node A generates: stored as stopped, one terminal frame', async (t) => {
    const { chatId, messageId, request, ws } = await answerOnAWatchedFromB();
    t.after(() => ws.close());
    assert.equal(nodeB.platform.services.chats.runningCount, 0, 'node B generates nothing');

    ws.send({ type: 'stop_generation', data: { chat_id: chatId } });
    const end = await ws.waitFor(isEndOf(messageId), 10_000);
    assert.equal(request.signal.aborted, true, 'node A aborted the upstream request');
    assert.equal(request.signal.reason, 'stop');
    assert.equal(end.data.status, 'stopped');
    // A publishes the end just before it stores the row (answer-generation.ts): read from B, wait for it.
    const stored = await waitFor('the stopped answer to be stored', async () => {
      const row = await nodeB.platform.services.store.messages.get(nodeB.tenantId, messageId);
      return row?.status === 'streaming' ? null : row;
    });
    assert.equal(stored.status, 'stopped');
    assert.equal(stored.content, end.data.content);
    assert.ok(String(end.data.content).length < LONG.join('').length, 'stopped before the end');

    // The next answer (generated on B, where the socket now is) comes after anything A could still send.
    ws.mark();
    ws.send({ type: 'user_message', data: { text: 'short follow-up', client_message_id: 'c-next' } });
    const next = await ws.collectAnswer({ timeoutMs: 10_000 });
    assert.notEqual(next.messageId, messageId);
    assert.equal(ws.frames.filter(isEndOf(messageId)).length, 1, 'one terminal frame for the stopped answer');
    assert.equal((await endsInLog(nodeB.tenantId, chatId, messageId)).length, 1, 'one terminal event in the log');
  });

  test('a stop for an answer that already ended changes nothing', async (t) => {
    const token = await nodeA.mintToken();
    const onA = await connectAndJoin(nodeA.wsUrl(), { token, create: true });
    t.after(() => onA.ws.close());
    const chatId = String(onA.joined.data.chat_id);
    const onB = await connectAndJoin(nodeB.wsUrl(), { token, chatId });
    t.after(() => onB.ws.close());

    onA.ws.send({ type: 'user_message', data: { text: 'short question', client_message_id: 'c-1' } });
    const finished = await onA.ws.collectAnswer({ timeoutMs: 10_000 });
    assert.equal(finished.complete.data.status, 'complete');
    await onB.ws.waitFor(isEndOf(finished.messageId), 10_000);
    const eventsBefore = (await nodeB.platform.services.eventLog.replay(nodeB.tenantId, chatId, 0)).events.length;

    onB.ws.send({ type: 'stop_generation', data: { chat_id: chatId, message_id: finished.messageId } });
    // A fence: an answer started on A afterwards and stopped from B by its id. The two stops go
    // through one Redis connection in order, so once this one took effect on A, the first was handled.
    onB.ws.mark();
    onA.ws.send({ type: 'user_message', data: { text: 'Tell me everything', client_message_id: 'c-2' } });
    const fenceChunk = await onB.ws.waitFor('response_chunk', 10_000);
    const fenceId = String(fenceChunk.data.message_id);
    onB.ws.send({ type: 'stop_generation', data: { chat_id: chatId, message_id: fenceId } });
    assert.equal((await onB.ws.waitFor(isEndOf(fenceId), 10_000)).data.status, 'stopped');

    const stored = await nodeB.platform.services.store.messages.get(nodeB.tenantId, finished.messageId);
    assert.equal(stored?.status, 'complete');
    assert.equal(stored?.content, 'Done.');
    const ends = await endsInLog(nodeB.tenantId, chatId, finished.messageId);
    assert.equal(ends.length, 1);
    assert.equal(ends[0]?.data.status, 'complete');
    const { events } = await nodeB.platform.services.eventLog.replay(nodeB.tenantId, chatId, 0);
    const added = events.slice(eventsBefore);
    assert.deepEqual(added.filter((event) => event.messageId === finished.messageId), [], 'nothing more about the finished answer');
  });

  test('a stop never reaches another tenant’s answer, whatever chat or message id it names', async (t) => {
    const x = await answerOnAWatchedFromB();
    t.after(() => x.ws.close());
    const y = await answerOnAWatchedFromB(TENANT_Y);
    t.after(() => y.ws.close());

    // Tenant Y's visitor names X's chat: refused on B, nothing is relayed.
    y.ws.mark();
    y.ws.send({ type: 'stop_generation', data: { chat_id: x.chatId, message_id: x.messageId } });
    const refused = await y.ws.waitFor('error');
    assert.equal(refused.data.code, 'chat_access_denied');
    // Its own chat with X's message id: relayed as (tenant Y, Y's chat, X's id), which matches nothing on A.
    y.ws.send({ type: 'stop_generation', data: { chat_id: y.chatId, message_id: x.messageId } });
    // A stop that got past the connection's check with X's chat id still carries tenant Y.
    assert.equal(nodeB.platform.services.chats.stopGeneration(TENANT_Y, x.chatId, x.messageId), 0);
    assert.equal(nodeB.platform.services.chats.stopGeneration(TENANT_Y, x.chatId, null), 0);
    // The fence: Y stops its own answer; published after the forged stops, so handled after them on A.
    y.ws.send({ type: 'stop_generation', data: { chat_id: y.chatId } });
    const yEnd = await y.ws.waitFor(isEndOf(y.messageId), 10_000);
    assert.equal(yEnd.data.status, 'stopped');
    assert.equal(y.request.signal.aborted, true);

    assert.equal(x.request.signal.aborted, false, 'X’s upstream request is still open');
    assert.equal((await nodeB.platform.services.store.messages.get(nodeB.tenantId, x.messageId))?.status, 'streaming');
    assert.deepEqual(x.ws.frames.filter(isEndOf(x.messageId)), [], 'X’s visitor got no end');
    assert.deepEqual(await endsInLog(nodeB.tenantId, x.chatId, x.messageId), []);

    // X's own visitor can still stop it.
    x.ws.send({ type: 'stop_generation', data: { chat_id: x.chatId, message_id: x.messageId } });
    assert.equal((await x.ws.waitFor(isEndOf(x.messageId), 10_000)).data.status, 'stopped');
    assert.equal(x.request.signal.reason, 'stop');
  });

  /** A chat whose socket is on node B; its messages are sent to node A over REST (A generates the answers). */
  async function chatWatchedFromB() {
    const token = await nodeA.mintToken();
    const onB = await connectAndJoin(nodeB.wsUrl(), { token, create: true });
    const chatId = String(onB.joined.data.chat_id);
    const sendToA = async (text: string, clientMessageId: string) => {
      const response = await api(nodeA.url, 'POST', `/api/v1/chat/${chatId}/messages`, {
        token,
        tenantId: nodeA.tenantId,
        body: { content: text, role: 'user', client_message_id: clientMessageId },
      });
      assert.equal(response.status, 201);
      return String(response.body.id);
    };
    return { chatId, ws: onB.ws, sendToA };
  }

  test('a stop relayed to node A before A started the answer stops it: stored as stopped, one terminal frame', async (t) => {
    // A fence: an answer of another chat running on A. Its stop, sent from B after the first, goes
    // through the same Redis connections in order: once it took effect on A, the first was handled.
    const fence = await chatWatchedFromB();
    t.after(() => fence.ws.close());
    await fence.sendToA('Tell me everything', 'c-fence');
    const fenceId = String((await fence.ws.waitFor('response_chunk', 10_000)).data.message_id);

    const { chatId, ws, sendToA } = await chatWatchedFromB();
    t.after(() => ws.close());
    const held = holdNextAnswerStart(nodeA.platform);
    const userMessageId = await sendToA('short question', 'c-early-stop');
    await ws.waitFor((frame) => frame.type === 'message_received' && frame.data.message_id === userMessageId, 10_000);
    await held.entered;
    ws.send({ type: 'stop_generation', data: { chat_id: chatId } });
    fence.ws.send({ type: 'stop_generation', data: { chat_id: fence.chatId } });
    assert.equal((await fence.ws.waitFor(isEndOf(fenceId), 10_000)).data.status, 'stopped');
    assert.equal(nodeB.platform.services.chats.runningCount, 0, 'node B generates nothing');
    held.release();

    const end = await ws.waitFor((frame) => frame.type === 'response_complete' && frame.data.user_message_id === userMessageId, 10_000);
    const messageId = String(end.data.message_id);
    assert.equal(end.data.status, 'stopped', 'without the stop it would have ended complete ("Done.")');
    assert.equal(end.data.content, '');
    const stored = await waitFor('the stopped answer to be stored', async () => {
      const row = await nodeB.platform.services.store.messages.get(nodeB.tenantId, messageId);
      return row?.status === 'streaming' ? null : row;
    });
    assert.equal(stored.status, 'stopped');
    assert.equal(stored.content, '');
    assert.equal(stored.replyTo, userMessageId);

    // The next answer comes after anything A could still send about the stopped one.
    ws.mark();
    await sendToA('short follow-up', 'c-after-early-stop');
    const next = await ws.collectAnswer({ timeoutMs: 10_000 });
    assert.equal(next.complete.data.status, 'complete', 'the stop did not outlive the answers it found');
    assert.equal(ws.frames.filter(isEndOf(messageId)).length, 1, 'one terminal frame for the stopped answer');
    assert.equal((await endsInLog(nodeB.tenantId, chatId, messageId)).length, 1, 'one terminal event in the log');
  });

  // Last: node A shuts down.
  test('rolling deploy: the visitor moved to B after A’s 1001 stops the answer A keeps generating', async (t) => {
    const token = await nodeA.mintToken();
    const onA = await connectAndJoin(nodeA.wsUrl(), { token, create: true });
    const chatId = String(onA.joined.data.chat_id);
    const asked = engineA.requests.length;
    onA.ws.send({ type: 'user_message', data: { text: 'Tell me everything', client_message_id: 'c-deploy' } });
    const firstChunk = await onA.ws.waitFor('response_chunk', 10_000);
    const messageId = String(firstChunk.data.message_id);
    const request = engineA.requests[asked]!;

    // Grace far longer than the answer: without the stop, A would finish it as complete.
    const closing = nodeA.platform.close({ graceMs: 60_000 });
    assert.equal((await onA.ws.waitForClose(10_000)).code, 1001);
    const onB = await connectAndJoin(nodeB.wsUrl(), { token, chatId, lastSeq: lastSeq(onA.ws) });
    t.after(() => onB.ws.close());
    await onB.ws.waitFor((frame) => frame.type === 'response_chunk' && frame.data.message_id === messageId, 10_000);

    onB.ws.send({ type: 'stop_generation', data: { chat_id: chatId } });
    const end = await onB.ws.waitFor(isEndOf(messageId), 10_000);
    assert.equal(end.data.status, 'stopped');
    assert.equal(request.signal.reason, 'stop');
    await closing;
    const stored = await nodeB.platform.services.store.messages.get(nodeB.tenantId, messageId);
    assert.equal(stored?.status, 'stopped');
    assert.equal(stored?.content, end.data.content);
    // The next answer (on B) comes after anything A sent before it closed.
    onB.ws.mark();
    onB.ws.send({ type: 'user_message', data: { text: 'short after deploy', client_message_id: 'c-after' } });
    assert.notEqual((await onB.ws.collectAnswer({ timeoutMs: 10_000 })).messageId, messageId);
    assert.equal(onB.ws.frames.filter(isEndOf(messageId)).length, 1, 'one terminal frame');
    assert.equal((await endsInLog(nodeB.tenantId, chatId, messageId)).length, 1);
  });
});

describe('RedisStopRelay', { skip: redisUrl === null ? REDIS_SKIP_REASON : false }, () => {
  const prefix = uniquePrefix('stop-relay-unit');
  const relays: RedisStopRelay[] = [];
  after(async () => {
    await Promise.all(relays.map((relay) => relay.close()));
    await deleteKeys(redisUrl ?? '', prefix);
  });

  async function relay(nodeId: string, keyPrefix = prefix): Promise<{ relay: RedisStopRelay; received: StopRequest[] }> {
    const created = new RedisStopRelay({ redisUrl: redisUrl ?? '', keyPrefix, nodeId, commandTimeoutMs: 1000 });
    relays.push(created);
    await created.waitUntilReady();
    const received: StopRequest[] = [];
    created.onStop((stop) => received.push(stop));
    return { relay: created, received };
  }

  test('hands a node the stops of the other nodes of its prefix only, and skips unreadable ones', async () => {
    const a = await relay('node-a');
    const b = await relay('node-b');
    const elsewhere = await relay('node-c', uniquePrefix('stop-relay-other'));
    const raw = new Redis(redisUrl ?? '');
    try {
      await raw.publish(`${prefix}stop-generation`, 'not json');
      await raw.publish(`${prefix}stop-generation`, JSON.stringify({ node: 'node-x', tenantId: 't', chatId: 42, messageId: null }));
    } finally {
      raw.disconnect();
    }
    await a.relay.publish({ tenantId: 't1', chatId: 'chat_own', messageId: null });
    await b.relay.publish({ tenantId: 't1', chatId: 'chat_1', messageId: 'msg_1' });
    await waitFor('node A to receive B’s stop', () => a.received.length > 0);
    assert.deepEqual(a.received, [{ tenantId: 't1', chatId: 'chat_1', messageId: 'msg_1' }], 'not its own, not the unreadable ones');
    await waitFor('node B to receive A’s stop', () => b.received.length > 0);
    assert.deepEqual(b.received, [{ tenantId: 't1', chatId: 'chat_own', messageId: null }]);
    assert.deepEqual(elsewhere.received, [], 'another prefix is another installation');
  });
});
