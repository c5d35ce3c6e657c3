/**
 * @miptech/client against the real platform (createPlatform on 127.0.0.1, SQLite in a temp dir,
 * the scripted answer engine): the situations issue 3 names, end to end.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage, type ChatClient } from '@miptech/client';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { createScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { nodeClient, recordStates, waitForSnapshot } from '../support/client-test-helpers.ts';

/** Every answer names its question, so a test can pair answers with questions. */
function echoEngine(delayMs = 0) {
  return createScriptedEngine({ delayMs, chunks: (request) => ['Re:', ` ${request.question}`, ' — done.'] });
}

function answerTo(question: string): string {
  return `Re: ${question} — done.`;
}

async function storedMessages(tp: TestPlatform, chatId: string) {
  const { items } = await tp.platform.services.store.messages.list(tp.tenantId, chatId, { limit: 200 });
  return items;
}

function closeAll(...clients: ChatClient[]): void {
  for (const client of clients) client.close();
}

test('a server restart (1001) mid-conversation: messages sent during the outage arrive exactly once and get one answer each', async (t) => {
  let tp = await startTestPlatform({ overrides: { engine: echoEngine(40) } });
  t.after(() => tp.close());
  const client = nodeClient(tp.url, tp.tenantId, {
    getToken: () => tp.mintToken({ sub: 'restart-visitor' }),
    reconnect: { baseDelayMs: 50, maxDelayMs: 250, maxAttempts: 40 },
  });
  t.after(() => client.close());
  const states = recordStates(client);
  await client.connect();

  await client.send('first question');
  await waitForSnapshot(client, (s) => s.messages.filter((m) => m.status === 'complete').length === 1, 'first answer');

  // The second answer is being streamed when the node restarts (graceful: it finishes and is stored).
  const second = client.send('second question');
  await waitForSnapshot(client, (s) => s.streamingContent.startsWith('Re:'), 'second answer streaming');
  const restarting = tp.restart({ graceMs: 3000 });
  await waitForSnapshot(client, (s) => s.connection.state !== 'ready', 'the 1001');
  const duringOutage = [client.send('third question'), client.send('fourth question')];
  assert.deepEqual(
    client.getSnapshot().messages.filter((m) => m.role === 'user').slice(-2).map((m) => m.status),
    ['queued', 'queued'],
    'typed during the outage: queued, not dropped',
  );
  tp = await restarting;

  const acks = await Promise.all([second, ...duringOutage]);
  assert.equal(new Set(acks.map((a) => a.id)).size, 3);
  const done = await waitForSnapshot(
    client,
    (s) => s.messages.filter((m) => m.role === 'assistant' && m.status === 'complete').length === 4 && !s.isTyping,
    'four complete answers',
    15_000,
  );

  assert.ok(states.includes('reconnecting'), `states: ${states.join(' → ')}`);
  const questions = ['first question', 'second question', 'third question', 'fourth question'];
  const stored = await storedMessages(tp, done.chatId!);
  for (const question of questions) {
    const users = stored.filter((m) => m.role === 'user' && m.content === question);
    assert.equal(users.length, 1, `"${question}" stored once`);
    const replies = stored.filter((m) => m.role === 'assistant' && m.replyTo === users[0]!.id);
    assert.equal(replies.length, 1, `"${question}" answered once`);
    assert.equal(replies[0]!.content, answerTo(question));
  }
  // The client shows exactly what the server stored, once each, every answer after its question.
  assert.deepEqual(done.messages.map((m) => m.id).sort(), stored.map((m) => m.id).sort());
  for (const message of done.messages) {
    const record = stored.find((m) => m.id === message.id)!;
    assert.equal(message.content, record.content);
    if (record.replyTo) {
      const position = (id: string) => done.messages.findIndex((m) => m.id === id);
      assert.ok(position(record.replyTo) < position(message.id), 'answer after its question');
    }
  }
});

test('a token rejected with 4401 on a rejoin is recovered through getToken()', async (t) => {
  const tp = await startTestPlatform({ overrides: { engine: echoEngine() } });
  t.after(() => tp.close());
  const issued: string[] = [];
  let nextIsBad = false;
  const client = nodeClient(tp.url, tp.tenantId, {
    getToken: async () => {
      const token = nextIsBad ? await tp.mintToken({ sub: 'v-4401', secret: 'not-the-server-secret' }) : await tp.mintToken({ sub: 'v-4401' });
      nextIsBad = false;
      issued.push(token);
      return token;
    },
  });
  t.after(() => client.close());
  await client.connect();
  const chatId = client.getSnapshot().chatId;

  // Reconnecting the same client (chat known, so no REST call) with a token the server rejects.
  client.close();
  nextIsBad = true;
  const states = recordStates(client);
  await client.connect();
  assert.equal(issued.length, 3, 'one good token, one bad, one fresh after the 4401');
  assert.ok(states.includes('reconnecting'));
  const snapshot = client.getSnapshot();
  assert.equal(snapshot.connection.state, 'ready');
  assert.equal(snapshot.chatId, chatId, 'the same chat');
  await client.send('still here?');
  await waitForSnapshot(client, (s) => s.messages.some((m) => m.content === answerTo('still here?')), 'answer');
});

test('a tenant mismatch ends in failed without reconnect attempts (REST and WebSocket)', async (t) => {
  const tp = await startTestPlatform({ overrides: { engine: echoEngine() } });
  t.after(() => tp.close());
  await tp.createTenant('other-tenant');
  const foreign = await tp.mintToken({ tenantId: 'other-tenant', sub: 'v-x' });

  const restClient = nodeClient(tp.url, tp.tenantId, { token: foreign });
  t.after(() => restClient.close());
  const restStates = recordStates(restClient);
  await assert.rejects(restClient.connect(), { code: 'tenant_mismatch', status: 403 });
  assert.equal(restClient.getSnapshot().connection.state, 'failed');
  assert.equal(restClient.getSnapshot().error?.code, 'tenant_mismatch');
  assert.ok(!restStates.includes('reconnecting'));

  // A chat created with a good token, then a join with the foreign one: closed 4403, no retry.
  let useForeign = false;
  let calls = 0;
  const wsClient = nodeClient(tp.url, tp.tenantId, {
    getToken: async () => {
      calls++;
      return useForeign ? foreign : tp.mintToken({ sub: 'v-y' });
    },
  });
  t.after(() => wsClient.close());
  await wsClient.connect();
  wsClient.close();
  useForeign = true;
  const wsStates = recordStates(wsClient);
  await assert.rejects(wsClient.connect(), { code: 'tenant_mismatch' });
  const { connection } = wsClient.getSnapshot();
  assert.equal(connection.state, 'failed');
  assert.equal(connection.code, 4403);
  assert.ok(!wsStates.includes('reconnecting'), wsStates.join(' → '));
  assert.equal(calls, 2, 'no token refresh and no retry after 4403');
});

test('a reload (new client, same storage) resumes the same chat and shows its history', async (t) => {
  const tp = await startTestPlatform({ overrides: { engine: echoEngine() } });
  t.after(() => tp.close());
  const storage = new MemoryStorage();
  const getToken = () => tp.mintToken({ sub: 'reloading-visitor' });

  const before = nodeClient(tp.url, tp.tenantId, { storage, getToken });
  t.after(() => before.close());
  await before.connect();
  await before.send('What are your opening hours?');
  await waitForSnapshot(before, (s) => s.messages.some((m) => m.status === 'complete'), 'answer');
  const chatId = before.getSnapshot().chatId;
  before.close();

  const after = nodeClient(tp.url, tp.tenantId, { storage, getToken });
  t.after(() => after.close());
  await after.connect();
  const restored = await waitForSnapshot(after, (s) => s.messages.length === 2, 'history');
  assert.equal(restored.chatId, chatId);
  assert.deepEqual(
    restored.messages.map((m) => [m.role, m.content, m.status]),
    [
      ['user', 'What are your opening hours?', 'sent'],
      ['assistant', answerTo('What are your opening hours?'), 'complete'],
    ],
  );
  closeAll(before, after);
});

test('stop() ends the answer being generated as stopped', async (t) => {
  const tp = await startTestPlatform({
    overrides: { engine: createScriptedEngine({ delayMs: 30, chunks: Array.from({ length: 50 }, (_, i) => ` w${i}`) }) },
  });
  t.after(() => tp.close());
  const client = nodeClient(tp.url, tp.tenantId, { getToken: () => tp.mintToken({ sub: 'stopper' }) });
  t.after(() => client.close());
  await client.connect();
  void client.send('a long answer please');
  await waitForSnapshot(client, (s) => s.streamingContent.length > 0, 'streaming');
  client.stop();
  const done = await waitForSnapshot(client, (s) => s.messages.some((m) => m.role === 'assistant' && m.status === 'stopped'), 'stopped');
  const reply = done.messages.find((m) => m.role === 'assistant')!;
  const stored = (await storedMessages(tp, done.chatId!)).find((m) => m.id === reply.id)!;
  assert.equal(stored.status, 'stopped');
  assert.equal(reply.content, stored.content);
  assert.equal(done.isTyping, false);
});

test('an answer that fails mid-stream keeps its partial text, ends as error with the code, and is shown once', async (t) => {
  const tp = await startTestPlatform({
    overrides: { engine: createScriptedEngine({ chunks: ['Half', ' an', ' answer'], failAfter: 2, failWith: 'ai_unavailable' }) },
  });
  t.after(() => tp.close());
  const client = nodeClient(tp.url, tp.tenantId, { getToken: () => tp.mintToken({ sub: 'unlucky' }) });
  t.after(() => client.close());
  await client.connect();
  const ack = await client.send('tell me something');
  assert.equal(ack.content, 'tell me something');
  const done = await waitForSnapshot(client, (s) => s.messages.some((m) => m.role === 'assistant' && m.status === 'error'), 'the failed answer');
  const replies = done.messages.filter((m) => m.role === 'assistant');
  assert.equal(replies.length, 1);
  assert.equal(replies[0]!.content, 'Half an');
  assert.equal(replies[0]!.errorCode, 'ai_unavailable');
  assert.equal(done.isTyping, false);
  assert.equal(done.error?.code, 'ai_unavailable');
  assert.equal(done.connection.state, 'ready', 'an engine failure is not a connection failure');
  const stored = (await storedMessages(tp, done.chatId!)).find((m) => m.id === replies[0]!.id)!;
  assert.equal(stored.status, 'error');
  assert.equal(stored.content, 'Half an');
});
