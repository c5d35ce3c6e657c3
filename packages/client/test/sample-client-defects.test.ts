/**
 * The guide's sample client (client-integration-guide-v3.2.md §4–§5) loses messages and state in
 * ordinary situations. Each test here reproduces one of its defects (issue 3, defects 1–4; 5 and 6
 * are the React hook's, in packages/react/test) against a protocol-speaking server over real
 * sockets, and checks that the SDK does not repeat it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeChatServer } from '@miptech/testing/fake-chat-server.ts';
import { nodeClient, recordStates, waitForSnapshot } from './support/client-test-helpers.ts';

test('defect 1: a message typed while reconnecting is queued and delivered exactly once after the rejoin', async (t) => {
  const server = await new FakeChatServer().start();
  const client = nodeClient(server.url, server.tenantId);
  t.after(async () => {
    client.close();
    await server.stop();
  });
  await client.connect();

  server.refuseConnections(true);
  server.closeAll(1001, 'deploy');
  await waitForSnapshot(client, (s) => s.connection.state === 'reconnecting', 'reconnecting');

  const sent = client.send('typed during the outage');
  const queued = client.getSnapshot().messages.at(-1)!;
  assert.equal(queued.status, 'queued');
  assert.equal(queued.content, 'typed during the outage');

  server.refuseConnections(false);
  const ack = await sent;
  assert.equal(ack.content, 'typed during the outage');

  const done = await waitForSnapshot(client, (s) => s.messages.some((m) => m.role === 'assistant' && m.status === 'complete'), 'the answer');
  const chat = server.chat();
  assert.equal(chat.messages.filter((m) => m.role === 'user').length, 1, 'stored once');
  assert.equal(chat.messages.filter((m) => m.role === 'assistant').length, 1, 'answered once');
  assert.deepEqual(done.messages.map((m) => [m.role, m.status]), [['user', 'sent'], ['assistant', 'complete']]);
  assert.equal(done.messages[0]!.id, ack.id);
});

test('defect 2: after the last reconnect attempt the client ends in a visible failed state', async (t) => {
  const server = await new FakeChatServer().start();
  const client = nodeClient(server.url, server.tenantId, { reconnect: { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 3 } });
  t.after(async () => {
    client.close();
    await server.stop();
  });
  await client.connect();
  const states = recordStates(client);

  server.refuseConnections(true);
  server.closeAll(1001, 'deploy');
  const failed = await waitForSnapshot(client, (s) => s.connection.state === 'failed', 'failed');

  assert.match(failed.connection.reason ?? '', /Gave up after 3 reconnect attempts/);
  assert.equal(failed.connection.code, 1006, 'the last close code is reported');
  assert.ok(failed.error, 'an error is shown');
  assert.equal(server.connectionsOpened, 1, 'refused upgrades never became connections');
  assert.equal(states.filter((s) => s === "reconnecting").length, 3, "three attempts, the last of which gave up");

  // retry() starts over and gets back to ready.
  server.refuseConnections(false);
  client.retry();
  await waitForSnapshot(client, (s) => s.connection.state === 'ready', 'ready after retry');
});

test('defect 3: a token rejected with 4401 is replaced by getToken() and the client recovers', async (t) => {
  const server = await new FakeChatServer({
    checkJoinToken: (token) => (token === 'expired' ? 'token_expired' : null),
  }).start();
  const tokens = ['expired', 'fresh'];
  let calls = 0;
  const client = nodeClient(server.url, server.tenantId, { getToken: async () => tokens[Math.min(calls++, 1)]! });
  t.after(async () => {
    client.close();
    await server.stop();
  });
  const states = recordStates(client);

  await client.connect();
  assert.deepEqual(server.joins.map((j) => j.token), ['expired', 'fresh']);
  assert.equal(calls, 2);
  assert.ok(states.includes('reconnecting'));
  assert.equal(client.getSnapshot().connection.state, 'ready');
  assert.equal(client.getSnapshot().error, null, 'the recovered error is cleared');
});

test('defect 3b: a second 4401 in a row ends in failed (one retry, no loop)', async (t) => {
  const server = await new FakeChatServer({ checkJoinToken: () => 'invalid_token' }).start();
  let calls = 0;
  const client = nodeClient(server.url, server.tenantId, { getToken: () => `token-${++calls}` });
  t.after(async () => {
    client.close();
    await server.stop();
  });
  await assert.rejects(client.connect(), { code: 'invalid_token' });
  const snapshot = client.getSnapshot();
  assert.equal(snapshot.connection.state, 'failed');
  assert.equal(snapshot.connection.code, 4401);
  assert.equal(server.joins.length, 2);
  assert.equal(calls, 2);
});

test('defect 4: a reconnect between response_chunk and response_complete resumes the same answer', async (t) => {
  const chunks = ['one', ' two', ' three', ' four', ' five'];
  const server = await new FakeChatServer({ answer: () => chunks }).start();
  const client = nodeClient(server.url, server.tenantId);
  t.after(async () => {
    client.close();
    await server.stop();
  });
  await client.connect();

  server.pauseAnswersAfter(2);
  void client.send('question');
  await waitForSnapshot(client, (s) => s.streamingContent === 'one two', 'two chunks');
  server.refuseConnections(true);
  server.closeAll(1001, 'deploy');
  await waitForSnapshot(client, (s) => s.connection.state === 'reconnecting', 'reconnecting');
  server.resumeAnswers(); // the answer finishes while the client is away
  await server.waitFor(() => server.chat().messages.at(-1)?.status === 'complete', 'answer stored');
  server.refuseConnections(false);

  const done = await waitForSnapshot(client, (s) => s.messages.some((m) => m.role === 'assistant' && m.status === 'complete'), 'complete');
  const replies = done.messages.filter((m) => m.role === 'assistant');
  assert.equal(replies.length, 1, 'one reply object');
  assert.equal(replies[0]!.content, chunks.join(''), 'no chunk lost or repeated');
  assert.equal(done.isTyping, false);
  assert.equal(done.streamingContent, '');
  const rejoin = server.joins.at(-1)!;
  assert.ok(rejoin.last_seq !== null && rejoin.last_seq > 0, 'the rejoin asked for a replay');
  assert.equal(done.lastSeq, server.chat().seq);
});

test('defect 4 without replay: when the retention window is exceeded, history completes the answer', async (t) => {
  const chunks = ['a', 'b', 'c', 'd', 'e', 'f'];
  const server = await new FakeChatServer({ answer: () => chunks, retention: 2 }).start();
  const client = nodeClient(server.url, server.tenantId);
  t.after(async () => {
    client.close();
    await server.stop();
  });
  await client.connect();
  server.pauseAnswersAfter(2);
  void client.send('question');
  await waitForSnapshot(client, (s) => s.streamingContent === 'ab', 'two chunks');
  server.refuseConnections(true);
  server.closeAll(1012, 'restart');
  await waitForSnapshot(client, (s) => s.connection.state === 'reconnecting', 'reconnecting');
  server.resumeAnswers();
  await server.waitFor(() => server.chat().messages.at(-1)?.status === 'complete', 'answer stored');
  server.refuseConnections(false);

  const done = await waitForSnapshot(client, (s) => s.messages.some((m) => m.role === 'assistant' && m.status === 'complete'), 'complete');
  assert.deepEqual(
    done.messages.map((m) => [m.role, m.content]),
    [['user', 'question'], ['assistant', 'abcdef']],
  );
});

test('a resend after a lost acknowledgement is stored once, answered once, and settles the same promise', async (t) => {
  const server = await new FakeChatServer({ chunkDelayMs: 1 }).start();
  // Without history the acknowledgement can only come from the replay or the resend.
  const client = nodeClient(server.url, server.tenantId, { loadHistory: false });
  t.after(async () => {
    client.close();
    await server.stop();
  });
  await client.connect();
  // The server stores and answers the message but the socket dies before the ack goes out.
  server.disconnectOnNextMessage();
  const sent = client.send('hello');
  const ack = await sent;
  await server.waitFor(() => server.userFrames.length === 2, 'the resend');
  const frames = server.userFrames.filter((f) => f.text === 'hello');
  assert.equal(frames.length, 2, 'the message was resent after the rejoin');
  assert.equal(frames[0]!.client_message_id, frames[1]!.client_message_id, 'with the same client message id');
  assert.equal(ack.clientMessageId, frames[0]!.client_message_id);
  await waitForSnapshot(client, (s) => s.messages.some((m) => m.role === 'assistant' && m.status === 'complete'), 'the answer');
  assert.equal(server.joins.at(-1)!.last_seq, 0, 'the rejoin resumes from the start of the chat');
  assert.equal(server.chat().messages.filter((m) => m.role === 'user').length, 1);
  assert.equal(server.chat().messages.filter((m) => m.role === 'assistant').length, 1);
  assert.equal(client.getSnapshot().messages.filter((m) => m.role === 'user').length, 1);
});

test('a connection that goes silent is detected after two heartbeat intervals and replaced', async (t) => {
  const server = await new FakeChatServer({ heartbeatIntervalMs: 60 }).start();
  const client = nodeClient(server.url, server.tenantId);
  t.after(async () => {
    client.close();
    await server.stop();
  });
  await client.connect();
  server.setSilent(true);
  const lost = await waitForSnapshot(client, (s) => s.connection.state === 'reconnecting', 'dead connection noticed');
  assert.match(lost.connection.reason ?? '', /heartbeat/);
  // The quiet interval produced a client ping before the connection was declared dead.
  assert.ok(server.received.some((f) => JSON.parse(f).type === 'ping'));
  server.setSilent(false);
  await waitForSnapshot(client, (s) => s.connection.state === 'ready', 'ready again');
  assert.ok(server.connectionsOpened >= 2);
});

test('chat creation retries db_not_ready with backoff, then reuses the stored session on reload', async (t) => {
  const server = await new FakeChatServer().start();
  server.failNextCreates(2, 'db_not_ready');
  const { MemoryStorage } = await import('@miptech/client');
  const storage = new MemoryStorage();
  const first = nodeClient(server.url, server.tenantId, { storage });
  t.after(async () => {
    first.close();
    await server.stop();
  });
  await first.connect();
  assert.equal(server.createRequests, 3);
  await first.send('remember me');
  await waitForSnapshot(first, (s) => s.messages.some((m) => m.status === 'complete'), 'answer');
  first.close();

  const second = nodeClient(server.url, server.tenantId, { storage });
  t.after(() => second.close());
  await second.connect();
  const restored = await waitForSnapshot(second, (s) => s.messages.length === 2, 'history');
  assert.equal(restored.chatId, first.getSnapshot().chatId);
  assert.deepEqual(restored.messages.map((m) => m.content), ['remember me', 'Answer to remember me']);
});

test('a tenant mismatch on join ends in failed without any reconnect attempt', async (t) => {
  const server = await new FakeChatServer({ checkJoinToken: () => 'tenant_mismatch' }).start();
  const client = nodeClient(server.url, server.tenantId, { getToken: () => 'other-tenant-token' });
  t.after(async () => {
    client.close();
    await server.stop();
  });
  const states = recordStates(client);
  await assert.rejects(client.connect(), { code: 'tenant_mismatch' });
  assert.equal(client.getSnapshot().connection.code, 4403);
  assert.ok(!states.includes('reconnecting'));
  assert.equal(server.connectionsOpened, 1);
});
