/**
 * How an answer ends when its node is slow or dies at the worst moment, on both dialects with the
 * in-process event log: exactly one terminal event reaches the clients, and the stored row agrees.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateAnswer, type GenerationDeps } from '../../src/chat/answer-generation.ts';
import { LeaseSweeper } from '../../src/chat/lease-sweeper.ts';
import type { ChatEvent, ChatEventLog } from '../../src/events/chat-event-log.ts';
import { createInProcessEventLog } from '../../src/events/in-process-event-log.ts';
import type { KnowledgeIndex } from '../../src/knowledge/knowledge-index.ts';
import { createLogger } from '../../src/logger.ts';
import type { MessageRepository, Store, TenantRecord } from '../../src/store/store.ts';
import { createScriptedEngine, manualGate } from '../support/scripted-engine.ts';
import { testDatabaseTargets, type TestDatabase } from '../store/test-databases.ts';
import { waitFor } from './helpers/wait-for.ts';

const TENANT = 'ending-tenant';
const NODE = 'generating-node';
const noKnowledge: KnowledgeIndex = {
  search: async () => [],
  indexDocument: async () => undefined,
  removeDocument: async () => undefined,
};

for (const target of testDatabaseTargets()) {
  describe(`ending an answer (${target.dialect})`, { skip: target.skip }, () => {
    let database: TestDatabase;
    let store: Store;
    let tenant: TenantRecord;
    const logs: ChatEventLog[] = [];

    before(async () => {
      database = await target.create();
      ({ store } = await database.open());
      tenant = (await store.tenants.create({ id: TENANT })).tenant;
    });
    after(async () => {
      await Promise.all(logs.map((log) => log.close()));
      await database?.dispose();
    });

    /** A chat with a user message, its streaming answer row held by NODE, and a log recording the chat's events. */
    async function pendingAnswer(leaseMs: number) {
      const eventLog = createInProcessEventLog(store);
      logs.push(eventLog);
      const { chat } = await store.chats.createOrGet(TENANT, { sessionId: null, visitorId: 'visitor' });
      const { message: userMessage } = await store.messages.insertUser(TENANT, { chatId: chat.id, content: 'Tell me a story', clientMessageId: null });
      const assistant = await store.messages.startAssistant(TENANT, {
        chatId: chat.id,
        replyTo: userMessage.id,
        leaseOwner: NODE,
        leaseExpiresAt: new Date(Date.now() + leaseMs).toISOString(),
      });
      const events: ChatEvent[] = [];
      eventLog.subscribe(chat.id, (event) => events.push(event));
      const terminals = () => events.filter((event) => event.type === 'response_complete');
      return { eventLog, chat, userMessage, assistant, events, terminals };
    }

    function deps(eventLog: ChatEventLog, engine: GenerationDeps['engine'], leaseMs: number, messages?: MessageRepository): GenerationDeps {
      return {
        store: messages ? (Object.assign(Object.create(store) as Store, { messages }) satisfies Store) : store,
        knowledge: noKnowledge,
        engine,
        eventLog,
        logger: createLogger('silent'),
        nodeId: NODE,
        leaseMs,
      };
    }

    test('a slow node whose answer a sweeper already ended publishes no second terminal event', async () => {
      const leaseMs = 60_000;
      const { eventLog, chat, userMessage, assistant, terminals, events } = await pendingAnswer(leaseMs);
      const gate = manualGate();
      const engine = createScriptedEngine({ gate: gate.promise });
      const controller = new AbortController();
      const generation = generateAnswer(deps(eventLog, engine, leaseMs), { tenant, chatId: chat.id, userMessage, assistant, controller });
      await waitFor('the engine to be asked', () => engine.requests.length === 1);

      // The node stalls long enough for its lease to run out; a sweeper takes the answer over.
      await store.messages.renewLease(TENANT, assistant.id, new Date(Date.now() - 1000).toISOString());
      const sweep = await new LeaseSweeper({ store, eventLog, nodeId: 'other-node' }).sweepOnce();
      assert.equal(sweep.interrupted, 1);
      assert.equal(terminals().length, 1);

      // The node wakes up and finishes its answer.
      gate.open();
      await generation;
      assert.equal(terminals().length, 1, 'exactly one response_complete');
      assert.equal(terminals()[0]?.data.status, 'interrupted', 'the first end wins');
      assert.equal(events.filter((event) => event.type === 'error').length, 1, 'one error (generation_interrupted)');
      const stored = await store.messages.get(TENANT, assistant.id);
      assert.equal(stored?.status, 'interrupted');
      assert.equal(stored?.content, terminals()[0]?.data.content);
    });

    test('a node that loses its lease to a sweeper stops generating at its next renewal', async () => {
      const leaseMs = 300;
      const { eventLog, chat, userMessage, assistant, terminals } = await pendingAnswer(leaseMs);
      const gate = manualGate();
      const engine = createScriptedEngine({ gate: gate.promise });
      const controller = new AbortController();
      const generation = generateAnswer(deps(eventLog, engine, leaseMs), { tenant, chatId: chat.id, userMessage, assistant, controller });
      await waitFor('the engine to be asked', () => engine.requests.length === 1);
      // A sweeper claims the row (whatever its lease says) and is about to end it.
      const future = new Date(Date.now() + 3_600_000).toISOString();
      const claimed = await store.messages.claimExpiredStreaming(TENANT, assistant.id, { now: future, leaseOwner: 'sweeper:other', leaseExpiresAt: future });
      assert.ok(claimed, 'claimed');
      try {
        // The gate stays closed: only the lost lease can end the generation.
        const ended = await Promise.race([generation.then(() => true), new Promise<false>((resolve) => setTimeout(resolve, 5000, false))]);
        assert.ok(ended, 'the generation ended without its engine being released');
      } finally {
        gate.open();
      }
      assert.equal(controller.signal.reason, 'lease-lost');
      assert.equal(terminals().length, 0, 'the end is the sweeper’s to publish');
      const stored = await store.messages.get(TENANT, assistant.id);
      assert.equal(stored?.status, 'streaming');
      assert.equal(stored?.leaseOwner, 'sweeper:other', 'the claim is untouched');
    });

    test('a node that dies right after storing its answer has published the end already', async () => {
      const leaseMs = 300;
      const { eventLog, chat, userMessage, assistant, terminals } = await pendingAnswer(leaseMs);
      const engine = createScriptedEngine({ chunks: ['The ', 'end.'] });
      // Storing works, then the process "dies": the call never returns and nothing runs after it.
      let stored = false;
      const dying: MessageRepository = Object.assign(Object.create(store.messages) as MessageRepository, {
        finishAssistant: async (...args: Parameters<MessageRepository['finishAssistant']>) => {
          await store.messages.finishAssistant(...args);
          stored = true;
          return new Promise<never>(() => undefined);
        },
      });
      void generateAnswer(deps(eventLog, engine, leaseMs, dying), { tenant, chatId: chat.id, userMessage, assistant, controller: new AbortController() });
      await waitFor('the answer to be stored', () => stored);
      assert.equal(terminals().length, 1, 'the clients got the end before the row was written');
      assert.equal(terminals()[0]?.data.content, 'The end.');
      assert.equal((await store.messages.get(TENANT, assistant.id))?.status, 'complete');
    });

    test('a node that dies right before storing: a sweeper stores the published end and sends nothing again', async () => {
      const leaseMs = 300;
      const { eventLog, chat, userMessage, assistant, terminals } = await pendingAnswer(leaseMs);
      const engine = createScriptedEngine({ chunks: ['All ', 'done.'] });
      let reached = false;
      const dying: MessageRepository = Object.assign(Object.create(store.messages) as MessageRepository, {
        finishAssistant: () => {
          reached = true;
          return new Promise<never>(() => undefined);
        },
      });
      void generateAnswer(deps(eventLog, engine, leaseMs, dying), { tenant, chatId: chat.id, userMessage, assistant, controller: new AbortController() });
      await waitFor('the node to reach the store', () => reached);
      assert.equal(terminals().length, 1);
      const sweeper = new LeaseSweeper({ store, eventLog, nodeId: 'other-node' });
      await waitFor('the sweeper to recover the row', async () => (await sweeper.sweepOnce()).recovered === 1, 10_000, 100);
      const row = await store.messages.get(TENANT, assistant.id);
      assert.equal(row?.status, 'complete');
      assert.equal(row?.content, 'All done.');
      assert.equal(terminals().length, 1, 'no second terminal event');
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
  });
}
