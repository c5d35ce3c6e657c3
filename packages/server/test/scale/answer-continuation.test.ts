/**
 * An answer whose node died is continued by the lease sweeper of another node (chat/continue-answer.ts),
 * on both dialects with the Redis event log: the text already sent is rebuilt from the log, the
 * engine goes on from it, the clients get the rest (first new chunk marked `continued`, chunk
 * indexes going on) and one response_complete with the whole text, which is also what is stored.
 * Where a continuation is impossible, the answer keeps the interrupted ending of before.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatEvent, ChatEventOf } from '../../src/backend/events/chat-event-log.ts';
import { RedisChatEventLog } from '../../src/backend/events/redis-event-log.ts';
import { generateAnswer } from '../../src/chat/answer-generation.ts';
import { LeaseSweeper } from '../../src/chat/lease-sweeper.ts';
import { rebuildPartialAnswer, startContinuation, type ContinuationRun } from '../../src/chat/continue-answer.ts';
import type { AnswerEngine } from '../../src/engines/answer-engine.ts';
import { createExtractiveEngine, splitIntoWordChunks } from '../../src/engines/extractive-engine.ts';
import type { KnowledgeIndex } from '../../src/store/knowledge-index.ts';
import { createLogger } from '../../src/base/logger.ts';
import type { Store, TenantRecord } from '../../src/store/store.ts';
import { createScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { testDatabaseTargets, type TestDatabase } from '@miptech/testing/test-databases.ts';
import { deleteKeys, REDIS_SKIP_REASON, testRedisUrl, uniquePrefix } from './helpers/test-redis.ts';
import { waitFor } from '@miptech/testing/wait-for.ts';

const redisUrl = testRedisUrl();
const TENANT = 'continue-tenant';
const QUESTION = 'What is the airspeed of an unladen swallow?';
const noKnowledge: KnowledgeIndex = {
  search: async () => [],
  indexDocument: async () => undefined,
  removeDocument: async () => undefined,
};

/** A chunk event of `messageId`, as the log returns it. */
function chunk(messageId: string, index: number, content: string): ChatEvent {
  return { tenantId: TENANT, chatId: 'chat', messageId, seq: index + 3, type: 'response_chunk', data: { message_id: messageId, chat_id: 'chat', content, chunk_index: index } } as ChatEvent;
}
function start(messageId: string): ChatEvent {
  return { tenantId: TENANT, chatId: 'chat', messageId, seq: 2, type: 'response_start', data: { message_id: messageId, user_message_id: 'u', chat_id: 'chat' } } as ChatEvent;
}

describe('rebuilding the text an answer sent', () => {
  test('from its start and every chunk up to the last: the exact text and the next index', () => {
    const events = [start('m'), chunk('m', 0, 'Once'), chunk('other', 0, 'Noise'), chunk('m', 1, ' upon'), chunk('m', 1, ' again'), chunk('m', 2, ' a time')];
    const rebuilt = rebuildPartialAnswer(events, 'm');
    assert.deepEqual(rebuilt.partial, { content: 'Once upon a time', nextChunkIndex: 3 }, 'other answers and a repeated index are ignored');
    assert.equal(rebuilt.content, 'Once upon a time');
  });

  test('an answer that died before its first chunk is continued from nothing', () => {
    assert.deepEqual(rebuildPartialAnswer([start('m')], 'm').partial, { content: '', nextChunkIndex: 0 });
  });

  test('a chunk missing in the middle: no partial text (the interrupted ending keeps the text up to the gap)', () => {
    const rebuilt = rebuildPartialAnswer([start('m'), chunk('m', 0, 'Once'), chunk('m', 2, ' a time')], 'm');
    assert.equal(rebuilt.partial, null);
    assert.equal(rebuilt.content, 'Once');
  });

  test('a log that no longer reaches the start of the answer: no partial text', () => {
    assert.equal(rebuildPartialAnswer([chunk('m', 0, 'Once'), chunk('m', 1, ' upon')], 'm').partial, null);
  });
});

for (const target of testDatabaseTargets()) {
  describe(`continuing a dead node's answer (${target.dialect}, Redis event log)`, { skip: redisUrl === null ? REDIS_SKIP_REASON : target.skip }, () => {
    const url = redisUrl ?? '';
    const prefix = uniquePrefix('continue');
    let database: TestDatabase;
    let store: Store;
    let tenant: TenantRecord;
    const logs: RedisChatEventLog[] = [];
    const extractive = createExtractiveEngine();
    /** The whole answer the extractive engine gives to QUESTION without knowledge. */
    let fullAnswer = '';

    async function eventLog(nodeId: string): Promise<RedisChatEventLog> {
      const log = new RedisChatEventLog({ redisUrl: url, keyPrefix: prefix, nodeId, seqCeilings: store.chats, commandTimeoutMs: 1000 });
      logs.push(log);
      await log.waitUntilReady();
      return log;
    }

    before(async () => {
      database = await target.create();
      ({ store } = await database.open());
      tenant = (await store.tenants.create({ id: TENANT, name: 'Swallow Airlines' })).tenant;
      for await (const part of extractive.stream({ tenant, chatId: 'c', question: QUESTION, history: [], passages: [], signal: new AbortController().signal })) {
        if (part.type === 'text') fullAnswer += part.text;
      }
      assert.ok(splitIntoWordChunks(fullAnswer).length > 10, 'a long enough answer to cut');
    });
    after(async () => {
      await Promise.all(logs.map((log) => log.close()));
      await deleteKeys(url, prefix);
      await database?.dispose();
    });

    /** A chat whose answer's node "died" after publishing processing, response_start and `chunks`. */
    async function deadAnswer(log: RedisChatEventLog, chunks: string[]) {
      const { chat } = await store.chats.createOrGet(TENANT, { sessionId: null, visitorId: 'visitor' });
      const { message: user } = await store.messages.insertUser(TENANT, { chatId: chat.id, content: QUESTION, clientMessageId: null });
      const assistant = await store.messages.startAssistant(TENANT, {
        chatId: chat.id,
        replyTo: user.id,
        leaseOwner: 'dead-node',
        leaseExpiresAt: new Date(Date.now() - 1000).toISOString(),
      });
      const base = { tenantId: TENANT, chatId: chat.id, messageId: assistant.id };
      await log.append({ ...base, type: 'processing', data: { message_id: assistant.id, user_message_id: user.id, chat_id: chat.id } });
      await log.append({ ...base, type: 'response_start', data: { message_id: assistant.id, user_message_id: user.id, chat_id: chat.id } });
      for (const [index, content] of chunks.entries()) {
        await log.append({ ...base, type: 'response_chunk', data: { message_id: assistant.id, chat_id: chat.id, content, chunk_index: index } });
      }
      return { chat, user, assistant };
    }

    /** A sweeper of node `nodeId` that continues answers with `engine`, as app.ts wires it; `runs` are the continued generations. */
    function continuingSweeper(log: RedisChatEventLog, nodeId: string, engine: AnswerEngine, runs: Promise<void>[]) {
      const deps = {
        store,
        engine,
        run: (run: ContinuationRun) => {
          runs.push(
            generateAnswer(
              { store, knowledge: noKnowledge, engine, eventLog: log, logger: createLogger('silent'), nodeId: run.leaseOwner, leaseMs: 5000 },
              { ...run, controller: new AbortController() },
            ),
          );
        },
      };
      return new LeaseSweeper({ store, eventLog: log, nodeId, continueAnswer: (answer, partial, owner) => startContinuation(deps, answer, partial, owner) });
    }

    /** Everything published for the chat after `fromSeq`, once its response_complete is there. */
    async function eventsAfter(log: RedisChatEventLog, chatId: string, fromSeq: number): Promise<ChatEvent[]> {
      return waitFor('the end of the answer', async () => {
        const { events } = await log.replay(TENANT, chatId, fromSeq);
        return events.some((event) => event.type === 'response_complete') ? events : null;
      });
    }

    test('the answer goes on from the text already sent: no gap, no repeat, one end, the whole text stored', async () => {
      const words = splitIntoWordChunks(fullAnswer);
      const sent = words.slice(0, 7);
      const logA = await eventLog('node-a');
      const logB = await eventLog('node-b');
      const { chat, assistant } = await deadAnswer(logA, sent);
      const seen = (await logB.replay(TENANT, chat.id, 0)).lastSeq;

      const runs: Promise<void>[] = [];
      const outcome = await continuingSweeper(logB, 'node-b', extractive, runs).sweepOnce();
      assert.deepEqual({ continued: outcome.continued, interrupted: outcome.interrupted }, { continued: 1, interrupted: 0 });
      await Promise.all(runs);

      const rest = await eventsAfter(logB, chat.id, seen);
      assert.deepEqual(
        rest.map((event) => event.type),
        [...words.slice(7).map(() => 'response_chunk'), 'response_complete'],
        'only the rest of the answer: no processing, response_start or error again',
      );
      const chunks = rest.filter((event): event is ChatEventOf<'response_chunk'> => event.type === 'response_chunk');
      assert.deepEqual(chunks.map((event) => event.data.chunk_index), words.slice(7).map((_, index) => 7 + index), 'chunk indexes go on');
      assert.equal(chunks[0]?.data.continued, true, 'the first new chunk is marked continued');
      assert.equal(chunks.filter((event) => event.data.continued).length, 1, 'only the first one');
      assert.equal(sent.join('') + chunks.map((event) => event.data.content).join(''), fullAnswer, 'what the visitor holds is the whole answer, once');
      const end = rest.at(-1) as ChatEventOf<'response_complete'>;
      assert.equal(end.data.status, 'complete');
      assert.equal(end.data.content, fullAnswer);
      assert.equal(end.data.error_code, undefined);

      const stored = await store.messages.get(TENANT, assistant.id);
      assert.equal(stored?.status, 'complete');
      assert.equal(stored?.content, fullAnswer);
    });

    test('of several racing sweepers exactly one continues the answer', async () => {
      const words = splitIntoWordChunks(fullAnswer);
      const logs3 = await Promise.all(['node-x', 'node-y', 'node-z'].map((id) => eventLog(id)));
      const { chat, assistant } = await deadAnswer(logs3[0]!, words.slice(0, 3));
      const runs: Promise<void>[] = [];
      const outcomes = await Promise.all(logs3.map((log, index) => continuingSweeper(log, `node-${index}`, extractive, runs).sweepOnce()));
      assert.equal(outcomes.reduce((sum, outcome) => sum + outcome.continued, 0), 1);
      assert.equal(outcomes.reduce((sum, outcome) => sum + outcome.interrupted, 0), 0);
      assert.equal(runs.length, 1, 'one generation');
      await Promise.all(runs);
      const events = await eventsAfter(logs3[1]!, chat.id, 0);
      assert.equal(events.filter((event) => event.type === 'response_complete').length, 1);
      assert.equal(events.filter((event) => event.type === 'response_start').length, 1);
      assert.equal((await store.messages.get(TENANT, assistant.id))?.content, fullAnswer);
    });

    test('a node that was only stalled, not dead, sends no chunk once a sweeper took its answer over to continue it', async () => {
      const leaseMs = 300;
      const log = await eventLog('node-stalled');
      const { chat } = await store.chats.createOrGet(TENANT, { sessionId: null, visitorId: 'visitor' });
      const { message: user } = await store.messages.insertUser(TENANT, { chatId: chat.id, content: QUESTION, clientMessageId: null });
      const assistant = await store.messages.startAssistant(TENANT, {
        chatId: chat.id,
        replyTo: user.id,
        leaseOwner: 'node-stalled',
        leaseExpiresAt: new Date(Date.now() + leaseMs).toISOString(),
      });
      // The stall, as the database sees it: the node's lease renewals do not arrive.
      let stalled = true;
      const messages = Object.assign(Object.create(store.messages) as typeof store.messages, {
        renewLease: (...args: Parameters<typeof store.messages.renewLease>) => (stalled ? new Promise<boolean>(() => undefined) : store.messages.renewLease(...args)),
      });
      const stalledStore = Object.assign(Object.create(store) as Store, { messages });
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const engine = createScriptedEngine({ gate, chunks: ['late ', 'chunks ', 'from ', 'the ', 'stalled ', 'node'] });
      const generation = generateAnswer(
        { store: stalledStore, knowledge: noKnowledge, engine, eventLog: log, logger: createLogger('silent'), nodeId: 'node-stalled', leaseMs },
        { tenant, chatId: chat.id, userMessage: user, assistant, controller: new AbortController() },
      );
      await waitFor('the engine to be asked', () => engine.requests.length === 1);
      await waitFor('the lease to run out', async () => (await store.messages.findExpiredStreaming(new Date().toISOString(), 100)).some((row) => row.id === assistant.id));

      // Another node's sweeper claims the answer and continues it (from nothing: no chunk was sent).
      const runs: Promise<void>[] = [];
      const outcome = await continuingSweeper(await eventLog('node-taker'), 'node-taker', extractive, runs).sweepOnce();
      assert.equal(outcome.continued, 1);
      // The stalled node wakes up: its engine has text again and its renewals get through.
      stalled = false;
      release();
      await generation;
      await Promise.all(runs);

      const events = await eventsAfter(log, chat.id, 0);
      const chunks = events.filter((event): event is ChatEventOf<'response_chunk'> => event.type === 'response_chunk');
      assert.deepEqual(chunks.map((event) => event.data.chunk_index), chunks.map((_, index) => index), 'one writer of chunk indexes');
      assert.equal(chunks.map((event) => event.data.content).join(''), fullAnswer, 'no chunk of the stalled node');
      assert.equal(events.filter((event) => event.type === 'response_complete').length, 1);
      assert.equal((await store.messages.get(TENANT, assistant.id))?.content, fullAnswer);
    });

    /** The interrupted ending of before: error generation_interrupted, then response_complete with the text sent. */
    async function assertInterrupted(log: RedisChatEventLog, chatId: string, fromSeq: number, messageId: string, content: string) {
      const rest = await eventsAfter(log, chatId, fromSeq);
      assert.deepEqual(rest.map((event) => event.type), ['error', 'response_complete']);
      const [error, end] = rest as [ChatEventOf<'error'>, ChatEventOf<'response_complete'>];
      assert.equal(error.data.code, 'generation_interrupted');
      assert.equal(end.data.status, 'interrupted');
      assert.equal(end.data.content, content);
      const stored = await store.messages.get(TENANT, messageId);
      assert.equal(stored?.status, 'interrupted');
      assert.equal(stored?.content, content);
    }

    test('an engine that cannot continue: the interrupted ending, with the text sent', async () => {
      const log = await eventLog('node-s');
      const { chat, assistant } = await deadAnswer(log, ['Once', ' upon']);
      const seen = (await log.replay(TENANT, chat.id, 0)).lastSeq;
      const runs: Promise<void>[] = [];
      const outcome = await continuingSweeper(log, 'node-s', createScriptedEngine(), runs).sweepOnce();
      assert.deepEqual({ continued: outcome.continued, interrupted: outcome.interrupted }, { continued: 0, interrupted: 1 });
      assert.equal(runs.length, 0);
      await assertInterrupted(log, chat.id, seen, assistant.id, 'Once upon');
    });

    test('text sent that the engine would not produce now (prefix mismatch): the interrupted ending, nothing added', async () => {
      const log = await eventLog('node-m');
      const { chat, assistant } = await deadAnswer(log, ['Something', ' else']);
      const seen = (await log.replay(TENANT, chat.id, 0)).lastSeq;
      const runs: Promise<void>[] = [];
      const outcome = await continuingSweeper(log, 'node-m', extractive, runs).sweepOnce();
      assert.equal(outcome.continued, 1, 'the mismatch is found by the engine, once it regenerates');
      await Promise.all(runs);
      await assertInterrupted(log, chat.id, seen, assistant.id, 'Something else');
    });

    test('a chunk missing from the log: the interrupted ending with the text up to the gap', async () => {
      const log = await eventLog('node-g');
      const words = splitIntoWordChunks(fullAnswer);
      const { chat, assistant } = await deadAnswer(log, words.slice(0, 4));
      // Chunk 4 never reached the log; chunk 5 did.
      await log.append({ tenantId: TENANT, chatId: chat.id, messageId: assistant.id, type: 'response_chunk', data: { message_id: assistant.id, chat_id: chat.id, content: words[5]!, chunk_index: 5 } });
      const seen = (await log.replay(TENANT, chat.id, 0)).lastSeq;
      const runs: Promise<void>[] = [];
      const outcome = await continuingSweeper(log, 'node-g', extractive, runs).sweepOnce();
      assert.deepEqual({ continued: outcome.continued, interrupted: outcome.interrupted }, { continued: 0, interrupted: 1 });
      await assertInterrupted(log, chat.id, seen, assistant.id, words.slice(0, 4).join(''));
    });
  });
}
