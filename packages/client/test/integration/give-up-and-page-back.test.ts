/**
 * @miptech/client against the real platform (real sockets, SQLite or PostgreSQL per TEST_STORE):
 * - a send whose acknowledgement was lost, followed by a server that cannot be reached, is rejected
 *   when the client gives up, shown as `failed`, and the explicit retry() resends it under the same
 *   client message id: the server stores it once and answers it once;
 * - loadOlder() pages back through a reloaded chat's history (`before` / `limit`) to its first
 *   message, in the server's order and without duplicates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage, UndeliveredMessageError } from '@miptech/client';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';
import { createScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { nodeClient, waitForSnapshot } from '../support/client-test-helpers.ts';
import { cuttableWebSocket } from '../support/cuttable-web-socket.ts';

test('giving up rejects a send whose ack was lost; retry() resends it with the same id, stored once and answered once', async (t) => {
  const tp = await startTestPlatform({ overrides: { engine: createScriptedEngine({ chunks: (request) => ['Re: ', request.question] }) } });
  t.after(() => tp.close());
  const net = cuttableWebSocket();
  const client = nodeClient(tp.url, tp.tenantId, {
    WebSocket: net.WebSocket,
    getToken: () => tp.mintToken({ sub: 'gives-up' }),
    reconnect: { baseDelayMs: 10, maxDelayMs: 50, maxAttempts: 2 },
    // No history read: the retried send itself must be what settles the message (the server's
    // deduplication by client message id), not a history page that happens to contain it.
    loadHistory: false,
  });
  t.after(() => client.close());
  await client.connect();

  await net.refuse();
  net.cutOnFrame((raw) => raw.includes('"message_received"'));
  const rejection = await client.send('are you there?').then(
    () => assert.fail('the ack was cut: send() cannot resolve before the retry'),
    (error: unknown) => error,
  );
  assert.ok(rejection instanceof UndeliveredMessageError, String(rejection));
  assert.equal(rejection.code, 'service_unavailable');
  assert.equal(rejection.clientState, 'failed');
  const failed = client.getSnapshot();
  assert.equal(failed.connection.state, 'failed');
  assert.match(failed.connection.reason ?? '', /Gave up after 2 reconnect attempts/);
  assert.deepEqual(failed.messages.map((m) => [m.role, m.status, m.clientMessageId]), [['user', 'failed', rejection.clientMessageId]]);

  // The server had stored it: the ack, not the message, was lost.
  const chatId = failed.chatId!;
  const storedBefore = (await tp.platform.services.store.messages.list(tp.tenantId, chatId, { limit: 50 })).items;
  assert.equal(storedBefore.filter((m) => m.role === 'user').length, 1);

  net.accept();
  client.retry();
  const done = await waitForSnapshot(
    client,
    (s) => s.connection.state === 'ready' && s.messages.some((m) => m.role === 'user' && m.status === 'sent') &&
      s.messages.some((m) => m.role === 'assistant' && m.status === 'complete'),
    'the kept message acknowledged and answered after retry()',
    10_000,
  );
  const { items } = await tp.platform.services.store.messages.list(tp.tenantId, chatId, { limit: 50 });
  const users = items.filter((m) => m.role === 'user');
  assert.equal(users.length, 1, 'stored once');
  assert.equal(users[0]!.clientMessageId, rejection.clientMessageId);
  assert.equal(items.filter((m) => m.role === 'assistant').length, 1, 'answered once');
  assert.deepEqual(
    done.messages.map((m) => [m.role, m.content, m.status]),
    [
      ['user', 'are you there?', 'sent'],
      ['assistant', 'Re: are you there?', 'complete'],
    ],
  );
  assert.equal(done.messages[0]!.id, users[0]!.id);
});

test('loadOlder() pages back through a reloaded chat to its first message, in order and without duplicates', async (t) => {
  const tp = await startTestPlatform({ overrides: { engine: createScriptedEngine({ chunks: (request) => ['Re: ', request.question] }) } });
  t.after(() => tp.close());
  const storage = new MemoryStorage();
  const getToken = () => tp.mintToken({ sub: 'pager' });
  const writer = nodeClient(tp.url, tp.tenantId, { storage, getToken });
  t.after(() => writer.close());
  await writer.connect();
  const questions = ['q1', 'q2', 'q3', 'q4', 'q5'];
  for (const [index, question] of questions.entries()) {
    await writer.send(question);
    await waitForSnapshot(writer, (s) => !s.isTyping && s.messages.filter((m) => m.status === 'complete').length === index + 1, `answer to ${question}`);
  }
  writer.close();
  const chatId = writer.getSnapshot().chatId!;
  const stored = (await tp.platform.services.store.messages.list(tp.tenantId, chatId, { limit: 50 })).items;
  assert.equal(stored.length, 10);

  // A reload: a new client on the same storage, three messages per page.
  const reader = nodeClient(tp.url, tp.tenantId, { storage, getToken, historyPageSize: 3 });
  t.after(() => reader.close());
  await reader.connect();
  const first = await waitForSnapshot(reader, (s) => s.messages.length === 3, 'the newest page');
  assert.equal(first.chatId, chatId);
  assert.equal(first.hasOlder, true);
  assert.deepEqual(first.messages.map((m) => m.id), stored.slice(-3).map((m) => m.id));

  let pages = 0;
  while (reader.getSnapshot().hasOlder) {
    assert.ok(++pages <= 5, 'bounded: 7 older messages are 3 pages');
    const loading = reader.loadOlder();
    assert.equal(reader.getSnapshot().isLoadingOlder, true);
    await loading;
    assert.equal(reader.getSnapshot().isLoadingOlder, false);
  }
  assert.equal(pages, 3);
  const all = reader.getSnapshot().messages;
  assert.deepEqual(all.map((m) => m.id), stored.map((m) => m.id), 'every stored message once, in the server order');
  assert.deepEqual(all.map((m) => m.content), stored.map((m) => m.content));

  // The conversation goes on after paging: a new exchange lands at the end, nothing moves.
  await reader.send('q6');
  const after = await waitForSnapshot(reader, (s) => s.messages.length === 12 && !s.isTyping, 'the new exchange');
  assert.deepEqual(after.messages.slice(0, 10).map((m) => m.id), stored.map((m) => m.id));
  assert.deepEqual(after.messages.slice(10).map((m) => m.content), ['q6', 'Re: q6']);
});
