import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { LeaseSweeper } from '../../src/chat/lease-sweeper.ts';
import { RedisChatEventLog } from '../../src/backend/events/redis-event-log.ts';
import type { ChatEvent } from '../../src/backend/events/chat-event-log.ts';
import { publishAnswerEnd } from '../../src/chat/answer-end.ts';
import type { MessageRecord, Store } from '../../src/store/store.ts';
import { testDatabaseTargets, type TestDatabase } from '@miptech/testing/test-databases.ts';
import { deleteKeys, REDIS_SKIP_REASON, testRedisUrl, uniquePrefix } from './helpers/test-redis.ts';
import { waitFor } from '@miptech/testing/wait-for.ts';

const redisUrl = testRedisUrl();
const TENANT = 'sweep-tenant';

for (const target of testDatabaseTargets()) {
  describe(`lease sweeper (${target.dialect})`, { skip: redisUrl === null ? REDIS_SKIP_REASON : target.skip }, () => {
    const url = redisUrl ?? '';
    const prefix = uniquePrefix('sweeper');
    let database: TestDatabase;
    let store: Store;
    const logs: RedisChatEventLog[] = [];

    function eventLog(nodeId: string, keyPrefix = prefix): RedisChatEventLog {
      const log = new RedisChatEventLog({ redisUrl: url, keyPrefix, nodeId, seqCeilings: store.chats, commandTimeoutMs: 1000 });
      logs.push(log);
      return log;
    }

    before(async () => {
      database = await target.create();
      ({ store } = await database.open());
      await store.tenants.create({ id: TENANT });
    });
    after(async () => {
      await Promise.all(logs.map((log) => log.close()));
      await deleteKeys(url, prefix);
      await database?.dispose();
    });

    /** A chat with a user message and an answer whose node "died" after sending `chunks`. */
    async function deadAnswer(log: RedisChatEventLog, chunks: string[], leaseExpiresAt = new Date(Date.now() - 1000)) {
      const { chat } = await store.chats.createOrGet(TENANT, { sessionId: null, visitorId: 'visitor' });
      const { message: user } = await store.messages.insertUser(TENANT, { chatId: chat.id, content: 'Tell me a story', clientMessageId: 'c1' });
      const assistant = await store.messages.startAssistant(TENANT, {
        chatId: chat.id,
        replyTo: user.id,
        leaseOwner: 'dead-node',
        leaseExpiresAt: leaseExpiresAt.toISOString(),
      });
      const base = { tenantId: TENANT, chatId: chat.id, messageId: assistant.id };
      await log.append({ ...base, type: 'response_start', data: { message_id: assistant.id, user_message_id: user.id, chat_id: chat.id } });
      for (const [index, content] of chunks.entries()) {
        await log.append({ ...base, type: 'response_chunk', data: { message_id: assistant.id, chat_id: chat.id, content, chunk_index: index } });
      }
      return { chat, user, assistant };
    }

    test('exactly one of several sweepers finishes a dead answer as interrupted, with the text sent so far', async () => {
      const logA = eventLog('node-a');
      const logB = eventLog('node-b');
      await Promise.all([logA.waitUntilReady(), logB.waitUntilReady()]);
      const { chat, user, assistant } = await deadAnswer(logA, ['Once ', 'upon ', 'a time']);
      const received: ChatEvent[] = [];
      logB.subscribe(chat.id, (event) => received.push(event));
      await logB.replay(TENANT, chat.id, 0);

      const sweepers = [
        new LeaseSweeper({ store, eventLog: logA, nodeId: 'node-a' }),
        new LeaseSweeper({ store, eventLog: logB, nodeId: 'node-b' }),
        new LeaseSweeper({ store, eventLog: logB, nodeId: 'node-c' }),
      ];
      const outcomes = await Promise.all(sweepers.map((sweeper) => sweeper.sweepOnce()));
      assert.equal(outcomes.reduce((sum, outcome) => sum + outcome.interrupted, 0), 1, 'one sweeper wins');

      const stored = await store.messages.get(TENANT, assistant.id);
      assert.equal(stored?.status, 'interrupted');
      assert.equal(stored?.content, 'Once upon a time');
      assert.equal((await store.messages.get(TENANT, user.id))?.content, 'Tell me a story', 'the user message is kept');

      await waitFor('terminal events', () => received.some((event) => event.type === 'response_complete'));
      const types = received.map((event) => event.type);
      assert.deepEqual(types, ['error', 'response_complete']);
      const [error, end] = received;
      assert.ok(error?.type === 'error' && end?.type === 'response_complete');
      assert.equal(error.data.code, 'generation_interrupted');
      assert.equal(end.data.content, 'Once upon a time', 'the terminal content equals the chunks sent');
      assert.equal(end.data.status, 'interrupted');
      assert.equal(end.data.user_message_id, user.id);

      const again = await Promise.all(sweepers.map((sweeper) => sweeper.sweepOnce()));
      assert.equal(again.reduce((sum, outcome) => sum + outcome.interrupted, 0), 0, 'finishing is idempotent');
      await Promise.all(sweepers.map((sweeper) => sweeper.stop()));
    });

    test('an answer whose lease is still held is left alone', async () => {
      const log = eventLog('node-l');
      await log.waitUntilReady();
      const { assistant } = await deadAnswer(log, ['alive'], new Date(Date.now() + 60_000));
      const sweeper = new LeaseSweeper({ store, eventLog: log, nodeId: 'node-l' });
      await sweeper.sweepOnce();
      assert.equal((await store.messages.get(TENANT, assistant.id))?.status, 'streaming');
      await store.messages.finishAssistant(TENANT, assistant.id, {
        content: 'alive', status: 'complete', sources: [], model: null, promptTokens: null, completionTokens: null, responseTimeMs: null,
      });
    });

    test('a node that published the end but died before storing it: the row is completed, nothing is sent again', async () => {
      const log = eventLog('node-r');
      await log.waitUntilReady();
      const { chat, user, assistant } = await deadAnswer(log, ['All ', 'done']);
      await publishAnswerEnd(log, {
        tenantId: TENANT, chatId: chat.id, messageId: assistant.id, userMessageId: user.id, content: 'All done', status: 'complete', sources: [],
        model: 'scripted', promptTokens: 3, completionTokens: 2, responseTimeMs: 40, createdAt: assistant.createdAt,
      });
      const before = await log.replay(TENANT, chat.id, 0);
      const outcome = await new LeaseSweeper({ store, eventLog: log, nodeId: 'node-r' }).sweepOnce();
      assert.equal(outcome.recovered, 1);
      const stored = await store.messages.get(TENANT, assistant.id);
      assert.equal(stored?.status, 'complete');
      assert.equal(stored?.content, 'All done');
      assert.equal((await log.replay(TENANT, chat.id, 0)).lastSeq, before.lastSeq, 'no event published');
    });

    test('without the chunks in the log (Redis lost them) the stored text is used and clients still get the end', async () => {
      const writer = eventLog('node-w', `${prefix}lost:`);
      await writer.waitUntilReady();
      const { chat, assistant } = await deadAnswer(writer, ['gone']);
      const log = eventLog('node-s');
      await log.waitUntilReady();
      const received: ChatEvent[] = [];
      log.subscribe(chat.id, (event) => received.push(event));
      await log.replay(TENANT, chat.id, 0);
      const outcome = await new LeaseSweeper({ store, eventLog: log, nodeId: 'node-s' }).sweepOnce();
      assert.equal(outcome.interrupted, 1);
      const stored: MessageRecord | null = await store.messages.get(TENANT, assistant.id);
      assert.equal(stored?.status, 'interrupted');
      assert.equal(stored?.content, '');
      await waitFor('terminal event', () => received.some((event) => event.type === 'response_complete'));
    });
  });
}
