/**
 * How an answer ends when its node is slow or dies at the worst moment, on both dialects, with the
 * in-process event log (one node) and the Redis one (several nodes): exactly one terminal event
 * reaches the clients, and the stored row agrees with it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateAnswer, type GenerationDeps } from '../../src/chat/answer-generation.ts';
import { LeaseSweeper } from '../../src/chat/lease-sweeper.ts';
import type { ChatEvent, ChatEventLog } from '../../src/backend/events/chat-event-log.ts';
import { createInProcessEventLog } from '../../src/backend/events/in-process-event-log.ts';
import { RedisChatEventLog } from '../../src/backend/events/redis-event-log.ts';
import type { KnowledgeIndex } from '../../src/store/knowledge-index.ts';
import { createLogger } from '../../src/base/logger.ts';
import type { MessageRecord, MessageRepository, Store, TenantRecord } from '../../src/store/store.ts';
import { createScriptedEngine, manualGate } from '@miptech/testing/scripted-engine.ts';
import { testDatabaseTargets, type TestDatabase } from '@miptech/testing/test-databases.ts';
import { deleteKeys, REDIS_SKIP_REASON, testRedisUrl, uniquePrefix } from './helpers/test-redis.ts';
import { waitFor } from '@miptech/testing/wait-for.ts';
import { ManualClock } from '@miptech/testing/manual-clock.ts';

const TENANT = 'ending-tenant';
const NODE = 'generating-node';
const noKnowledge: KnowledgeIndex = {
  search: async () => [],
  indexDocument: async () => undefined,
  removeDocument: async () => undefined,
};
const redisUrl = testRedisUrl();
const LOGS = [
  { kind: 'in-process', skip: undefined },
  { kind: 'redis', skip: redisUrl === null ? REDIS_SKIP_REASON : undefined },
] as const;

for (const target of testDatabaseTargets()) {
  for (const logKind of LOGS) {
    describe(`ending an answer (${target.dialect}, ${logKind.kind} event log)`, { skip: target.skip ?? logKind.skip }, () => {
      let database: TestDatabase;
      let store: Store;
      let tenant: TenantRecord;
      const logs: ChatEventLog[] = [];
      const prefix = uniquePrefix('ending');

      before(async () => {
        database = await target.create();
        ({ store } = await database.open());
        tenant = (await store.tenants.create({ id: TENANT })).tenant;
      });
      after(async () => {
        await Promise.all(logs.map((log) => log.close()));
        if (logKind.kind === 'redis') await deleteKeys(redisUrl ?? '', prefix);
        await database?.dispose();
      });

      async function eventLog(nodeId: string): Promise<ChatEventLog> {
        if (logKind.kind === 'in-process') {
          // One process: the generating node and its sweeper share the log.
          const shared = logs[0] ?? createInProcessEventLog(store);
          if (logs.length === 0) logs.push(shared);
          return shared;
        }
        const log = new RedisChatEventLog({ redisUrl: redisUrl ?? '', keyPrefix: prefix, nodeId, seqCeilings: store.chats, commandTimeoutMs: 1000 });
        logs.push(log);
        await log.waitUntilReady();
        return log;
      }

      /** A chat with a user message and its streaming answer row held by NODE. */
      async function pendingAnswer(leaseMs: number) {
        const { chat } = await store.chats.createOrGet(TENANT, { sessionId: null, visitorId: 'visitor' });
        const { message: userMessage } = await store.messages.insertUser(TENANT, { chatId: chat.id, content: 'Tell me a story', clientMessageId: null });
        const assistant = await store.messages.startAssistant(TENANT, {
          chatId: chat.id,
          replyTo: userMessage.id,
          leaseOwner: NODE,
          leaseExpiresAt: new Date(Date.now() + leaseMs).toISOString(),
        });
        return { chat, userMessage, assistant };
      }

      /** The chat's events as the log keeps them (what any client can receive). */
      async function eventsOf<T extends ChatEvent['type']>(log: ChatEventLog, chatId: string, type: T): Promise<Extract<ChatEvent, { type: T }>[]> {
        return (await log.replay(TENANT, chatId, 0)).events.filter((event): event is Extract<ChatEvent, { type: T }> => event.type === type);
      }

      function deps(log: ChatEventLog, engine: GenerationDeps['engine'], leaseMs: number, messages?: MessageRepository, clock?: ManualClock): GenerationDeps {
        return {
          store: messages ? (Object.assign(Object.create(store) as Store, { messages }) satisfies Store) : store,
          knowledge: noKnowledge,
          engine,
          eventLog: log,
          logger: createLogger('silent'),
          nodeId: NODE,
          leaseMs,
          ...(clock ? { clock } : {}),
        };
      }

      /** The message repository of a node that "dies" inside finishAssistant, after `run` (nothing after it ever runs). */
      function dyingIn(run: (...args: Parameters<MessageRepository['finishAssistant']>) => Promise<unknown>): { messages: MessageRepository; reached: () => boolean } {
        let reached = false;
        const messages = Object.assign(Object.create(store.messages) as MessageRepository, {
          finishAssistant: async (...args: Parameters<MessageRepository['finishAssistant']>): Promise<MessageRecord> => {
            await run(...args);
            reached = true;
            return new Promise<never>(() => undefined);
          },
        });
        return { messages, reached: () => reached };
      }

      /** An answer being generated by NODE whose engine waits at a gate (the node is stalled). */
      async function heldAnswer(log: ChatEventLog, leaseMs: number, clock?: ManualClock) {
        const { chat, userMessage, assistant } = await pendingAnswer(leaseMs);
        const gate = manualGate();
        const engine = createScriptedEngine({ gate: gate.promise });
        const controller = new AbortController();
        const generation = generateAnswer(deps(log, engine, leaseMs, undefined, clock), { tenant, chatId: chat.id, userMessage, assistant, controller });
        await waitFor('the engine to be asked', () => engine.requests.length === 1);
        return { chat, assistant, gate, controller, generation };
      }

      test('a slow node whose answer a sweeper already ended publishes no second terminal event', async () => {
        const leaseMs = 60_000;
        const log = await eventLog('node-slow');
        const { chat, assistant, gate, controller, generation } = await heldAnswer(log, leaseMs);

        // The node stalls long enough for its lease to run out; a sweeper takes the answer over.
        await store.messages.renewLease(TENANT, assistant.id, new Date(Date.now() - 1000).toISOString());
        const sweep = await new LeaseSweeper({ store, eventLog: await eventLog('node-sweeper'), nodeId: 'node-sweeper' }).sweepOnce();
        assert.equal(sweep.interrupted, 1);

        // The node wakes up and finishes its answer.
        gate.open();
        await generation;
        const ends = await eventsOf(log, chat.id, 'response_complete');
        assert.equal(ends.length, 1, 'exactly one response_complete');
        assert.equal(ends[0]?.data.status, 'interrupted', 'the first end wins');
        assert.equal((await eventsOf(log, chat.id, 'error')).length, 1, 'one error (generation_interrupted)');
        const stored = await store.messages.get(TENANT, assistant.id);
        assert.equal(stored?.status, 'interrupted');
        assert.equal(stored?.content, ends[0]?.data.content);
      });

      test('a node that loses its lease to a sweeper stops generating at its next renewal and leaves the end to it', async () => {
        const leaseMs = 300;
        const log = await eventLog('node-lost');
        // The renewal runs on a manual clock: the test moves it to the next renewal instead of waiting.
        const clock = new ManualClock();
        const { chat, assistant, gate, controller, generation } = await heldAnswer(log, leaseMs, clock);
        // A sweeper claims the row (whatever its lease says) and is about to end it.
        const future = new Date(Date.now() + 3_600_000).toISOString();
        const claimed = await store.messages.claimExpiredStreaming(TENANT, assistant.id, { now: future, leaseOwner: 'sweeper:other', leaseExpiresAt: future });
        assert.ok(claimed, 'claimed');
        try {
          // The gate stays closed: only the lost lease can end the generation.
          await clock.advance(leaseMs / 3);
          const ended = await Promise.race([generation.then(() => true), new Promise<false>((resolve) => setTimeout(resolve, 5000, false))]);
          assert.ok(ended, 'the generation ended without its engine being released');
        } finally {
          gate.open();
        }
        assert.equal(controller.signal.reason, 'lease-lost');
        assert.deepEqual(await eventsOf(log, chat.id, 'response_complete'), [], 'the end is the sweeper’s to publish');
        const stored = await store.messages.get(TENANT, assistant.id);
        assert.equal(stored?.status, 'streaming');
        assert.equal(stored?.leaseOwner, 'sweeper:other', 'the claim is untouched');
      });

      if (logKind.kind === 'in-process') {
        test('one node: the answer is stored before its end reaches the clients', async () => {
          const log = await eventLog('node-one');
          const { chat, userMessage, assistant } = await pendingAnswer(60_000);
          // What a client does on response_complete: read the history at once.
          const readsOnEnd: Array<Promise<MessageRecord | null>> = [];
          const unsubscribe = log.subscribe(chat.id, (event) => {
            if (event.type === 'response_complete') readsOnEnd.push(store.messages.get(TENANT, assistant.id));
          });
          try {
            const engine = createScriptedEngine({ chunks: ['Stored ', 'first.'] });
            await generateAnswer(deps(log, engine, 60_000), { tenant, chatId: chat.id, userMessage, assistant, controller: new AbortController() });
          } finally {
            unsubscribe();
          }
          assert.equal(readsOnEnd.length, 1);
          const read = await readsOnEnd[0];
          assert.equal(read?.status, 'complete');
          assert.equal(read?.content, 'Stored first.');
        });

        test('renewLease with an owner extends only a lease that owner still holds', async () => {
          const { assistant } = await pendingAnswer(60_000);
          const later = new Date(Date.now() + 120_000).toISOString();
          assert.equal(await store.messages.renewLease(TENANT, assistant.id, later, NODE), true);
          assert.equal(await store.messages.renewLease(TENANT, assistant.id, later, 'someone-else'), false);
          assert.equal(await store.messages.renewLease('other-tenant', assistant.id, later, NODE), false);
          assert.equal((await store.messages.get(TENANT, assistant.id))?.leaseExpiresAt, later);
          await store.messages.finishAssistant(TENANT, assistant.id, {
            content: '', status: 'complete', sources: [], model: null, promptTokens: null, completionTokens: null, responseTimeMs: null,
          });
          assert.equal(await store.messages.renewLease(TENANT, assistant.id, later, NODE), false, 'a finished message has no lease');
          assert.equal(await store.messages.renewLease(TENANT, assistant.id, later), false);
        });
      } else {
        test('several nodes: a node that dies right after storing its answer has published the end already', async () => {
          const log = await eventLog('node-dies-after');
          const { chat, userMessage, assistant } = await pendingAnswer(300);
          const dying = dyingIn((...args) => store.messages.finishAssistant(...args));
          const engine = createScriptedEngine({ chunks: ['The ', 'end.'] });
          void generateAnswer(deps(log, engine, 300, dying.messages), { tenant, chatId: chat.id, userMessage, assistant, controller: new AbortController() });
          await waitFor('the answer to be stored', dying.reached);
          const ends = await eventsOf(log, chat.id, 'response_complete');
          assert.equal(ends.length, 1, 'the clients got the end before the row was written');
          assert.equal(ends[0]?.data.content, 'The end.');
          assert.equal((await store.messages.get(TENANT, assistant.id))?.status, 'complete');
        });

        test('several nodes: a node that dies right before storing: a sweeper stores the published end and sends nothing again', async () => {
          const log = await eventLog('node-dies-before');
          const { chat, userMessage, assistant } = await pendingAnswer(300);
          const dying = dyingIn(async () => undefined);
          const engine = createScriptedEngine({ chunks: ['All ', 'done.'] });
          void generateAnswer(deps(log, engine, 300, dying.messages), { tenant, chatId: chat.id, userMessage, assistant, controller: new AbortController() });
          await waitFor('the node to reach the store', dying.reached);
          const sweeperLog = await eventLog('node-recovers');
          const sweeper = new LeaseSweeper({ store, eventLog: sweeperLog, nodeId: 'node-recovers' });
          await waitFor('the sweeper to recover the row', async () => (await sweeper.sweepOnce()).recovered === 1, 10_000, 100);
          const row = await store.messages.get(TENANT, assistant.id);
          assert.equal(row?.status, 'complete');
          assert.equal(row?.content, 'All done.');
          assert.equal((await eventsOf(sweeperLog, chat.id, 'response_complete')).length, 1, 'no second terminal event');
        });
      }

    });
  }
}
