/**
 * The connection state machine and backoff, driven step by step with injected timers and an
 * in-memory socket (no network, no real time).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createChatClient, canTransition, fullJitterDelay, backoffCeiling, MemoryStorage } from '@miptech/client';
import { ManualTimers } from './support/manual-timers.ts';
import { fakeFetch, fakeSocketFactory, flush } from './support/fake-socket.ts';
import { harness } from './support/state-machine-harness.ts';

test('transition table: the documented path and nothing back from closed except a new connect', () => {
  assert.ok(canTransition('idle', 'connecting'));
  assert.ok(canTransition('connecting', 'joining'));
  assert.ok(canTransition('joining', 'ready'));
  assert.ok(canTransition('ready', 'reconnecting'));
  assert.ok(canTransition('reconnecting', 'connecting'));
  assert.ok(canTransition('failed', 'connecting'));
  assert.ok(!canTransition('closed', 'ready'));
  assert.ok(!canTransition('failed', 'ready'));
  assert.ok(!canTransition('idle', 'ready'));
  assert.ok(!canTransition('ready', 'connecting'), 'a lost connection always passes through reconnecting');
});

test('full-jitter backoff stays below a doubling ceiling capped at maxDelayMs', () => {
  const settings = { baseDelayMs: 500, maxDelayMs: 8000 };
  assert.deepEqual([1, 2, 3, 4, 5, 6, 50].map((a) => backoffCeiling(a, settings)), [500, 1000, 2000, 4000, 8000, 8000, 8000]);
  assert.equal(fullJitterDelay(3, settings, () => 0), 0);
  assert.equal(fullJitterDelay(3, settings, () => 0.999), 1998);
  for (let attempt = 1; attempt <= 20; attempt++) {
    const delay = fullJitterDelay(attempt, settings, Math.random);
    assert.ok(delay >= 0 && delay < backoffCeiling(attempt, settings));
  }
});

test('connect walks idle → connecting → joining → ready, sends join_chat with the token after connection_ready', async () => {
  const { client, sockets, states, accept } = harness({ token: 'jwt-1' });
  const connected = client.connect();
  await flush();
  const socket = sockets.last();
  assert.equal(socket.url, 'wss://api.example.test/api/v1/ws/chat?tenant_id=acme');
  socket.open();
  assert.equal(socket.sentOfType('join_chat').length, 0, 'waits for connection_ready');
  socket.receive({ type: 'ping', data: { ts: 7 } });
  assert.deepEqual(socket.sentOfType('pong')[0]?.data, { ts: 7 }, 'pings are answered before joining');
  await accept();
  await connected;
  const join = socket.sentOfType('join_chat')[0]!;
  assert.equal(join.data.token, 'jwt-1');
  assert.equal(join.data.chat_id, 'chat_1');
  assert.equal(join.data.last_seq, undefined, 'a first join asks for no replay');
  assert.deepEqual(states, ['connecting', 'joining', 'ready']);
  client.close();
  assert.equal(client.getSnapshot().connection.state, 'closed');
});

test('join_chat falls back to 1 s after open when connection_ready never comes', async () => {
  const { client, sockets, timers } = harness();
  void client.connect();
  await flush();
  sockets.last().open();
  timers.advance(999);
  assert.equal(sockets.last().sentOfType('join_chat').length, 0);
  timers.advance(1);
  assert.equal(sockets.last().sentOfType('join_chat').length, 1);
  client.close();
});

test('a lost connection schedules exactly one reconnect; callbacks of the stale socket do nothing', async () => {
  const { client, sockets, timers, accept } = harness();
  void client.connect();
  const first = await accept();
  first.serverClose(1006);
  assert.equal(client.getSnapshot().connection.state, 'reconnecting');
  assert.equal(client.getSnapshot().connection.attempt, 1);
  // The same socket reports its death twice (error + close in some browsers): still one timer.
  first.serverClose(1006);
  first.onerror?.({});
  const reconnectTimers = timers.pendingDelays().filter((d) => d === 250); // 0.5 × min(30000, 500·2⁰)
  assert.equal(reconnectTimers.length, 1);
  timers.advance(250);
  await flush();
  assert.equal(sockets.sockets.length, 2, 'one new socket');
  // A late frame from the old socket must not move anything.
  first.receive({ type: 'chat_joined', data: { chat_id: 'chat_1', resumed: true, last_seq: 0 } });
  assert.equal(client.getSnapshot().connection.state, 'connecting');
  await accept({ resumed: true });
  assert.equal(client.getSnapshot().connection.state, 'ready');
  assert.equal(client.getSnapshot().connection.attempt, 0);
  const rejoin = sockets.last().sentOfType('join_chat')[0]!;
  assert.equal(rejoin.data.last_seq, 0, 'a rejoin resumes');
  client.close();
  assert.equal(timers.pending, 0, 'close leaves no timer behind');
});

test('backoff grows per attempt and the client gives up after maxAttempts with a visible reason', async () => {
  const { client, sockets, timers, accept } = harness({ reconnect: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1000 } });
  const connected = client.connect();
  await accept();
  await connected;
  sockets.last().serverClose(1012, 'restart');
  const delays: number[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    assert.equal(client.getSnapshot().connection.state, 'reconnecting');
    assert.equal(client.getSnapshot().connection.attempt, attempt);
    const [delay] = timers.pendingDelays();
    delays.push(delay!);
    timers.advance(delay!);
    await flush();
    sockets.last().serverClose(1006);
  }
  assert.deepEqual(delays, [50, 100, 200]);
  const { connection, error } = client.getSnapshot();
  assert.equal(connection.state, 'failed');
  assert.equal(connection.code, 1006);
  assert.match(connection.reason!, /Gave up after 3 reconnect attempts/);
  assert.equal(error?.code, 'service_unavailable');
  assert.equal(timers.pending, 0, 'nothing keeps retrying in the background');
  client.close();
});

test('terminal close codes fail at once: 1008, 4400, 4403, 4408 (and 4401 without getToken)', async () => {
  for (const code of [1008, 4400, 4401, 4403, 4408]) {
    const { client, sockets, timers, accept } = harness({ token: 'static' });
    void client.connect();
    await accept();
    sockets.last().serverClose(code);
    const { connection } = client.getSnapshot();
    assert.equal(connection.state, 'failed', `close ${code}`);
    assert.equal(connection.code, code);
    assert.equal(timers.pending, 0);
    assert.equal(sockets.sockets.length, 1);
    client.close();
  }
});

test('4401 gets one immediate retry with a fresh getToken(); the counter resets after a successful join', async () => {
  let issued = 0;
  const { client, sockets, timers, accept } = harness({ getToken: () => `token-${++issued}` });
  void client.connect();
  await accept();
  sockets.last().serverClose(4401, 'token expired');
  assert.equal(client.getSnapshot().connection.state, 'reconnecting');
  timers.advance(0);
  await accept();
  assert.equal(sockets.last().sentOfType('join_chat')[0]!.data.token, 'token-2');
  // A later expiry gets its own retry…
  sockets.last().serverClose(4401);
  timers.advance(0);
  await flush();
  sockets.last().open();
  sockets.last().receive({ type: 'connection_ready', data: { heartbeat_interval_ms: 1000 } });
  // …but two in a row fail.
  sockets.last().serverClose(4401);
  assert.equal(client.getSnapshot().connection.state, 'failed');
  assert.equal(issued, 3);
  client.close();
});

test('no server frame for two heartbeat intervals → the socket is dropped and replaced', async () => {
  const { client, sockets, timers, accept } = harness();
  void client.connect();
  const socket = await accept(); // heartbeat_interval_ms: 1000
  timers.advance(999);
  assert.equal(socket.sentOfType('ping').length, 0);
  timers.advance(1);
  assert.equal(socket.sentOfType('ping').length, 1, 'one quiet interval: probe with a ping');
  timers.advance(999);
  assert.equal(client.getSnapshot().connection.state, 'ready');
  timers.advance(1);
  assert.equal(client.getSnapshot().connection.state, 'reconnecting');
  assert.ok(socket.closedByClient, 'the dead socket is closed');
  assert.match(client.getSnapshot().connection.reason!, /heartbeat/);
  client.close();
});

test('frames keep the connection alive', async () => {
  const { client, timers, accept } = harness();
  void client.connect();
  const socket = await accept();
  for (let i = 0; i < 10; i++) {
    timers.advance(900);
    socket.receive({ type: 'ping', data: { ts: i } });
  }
  assert.equal(client.getSnapshot().connection.state, 'ready');
  client.close();
});

test('online / pageshow / visible reconnect at once instead of waiting for the backoff', async () => {
  const win = new EventTarget();
  const doc = Object.assign(new EventTarget(), { visibilityState: 'hidden' });
  const { client, sockets, timers, accept } = harness({
    lifecycle: { window: win, document: doc },
    reconnect: { baseDelayMs: 10_000, maxDelayMs: 10_000 },
  });
  void client.connect();
  await accept();
  sockets.last().serverClose(1006);
  assert.equal(client.getSnapshot().connection.state, 'reconnecting');
  win.dispatchEvent(new Event('online'));
  await flush();
  assert.equal(sockets.sockets.length, 2);
  assert.equal(timers.pendingDelays().includes(5000), false, 'the backoff timer was cleared');
  await accept();
  sockets.last().serverClose(1006);
  doc.dispatchEvent(new Event('visibilitychange')); // still hidden: nothing
  await flush();
  assert.equal(sockets.sockets.length, 2);
  doc.visibilityState = 'visible';
  doc.dispatchEvent(new Event('visibilitychange'));
  await flush();
  assert.equal(sockets.sockets.length, 3);
  client.close();
  win.dispatchEvent(new Event('pageshow'));
  await flush();
  assert.equal(sockets.sockets.length, 3, 'a closed client ignores page events');
});

test('messages sent while connecting are queued and written once after chat_joined', async () => {
  const { client, timers, accept } = harness();
  void client.connect();
  const first = client.send('one');
  const second = client.send('two');
  assert.deepEqual(client.getSnapshot().messages.map((m) => m.status), ['queued', 'queued']);
  const socket = await accept();
  const frames = socket.sentOfType('user_message');
  assert.deepEqual(frames.map((f) => f.data.text), ['one', 'two']);
  assert.deepEqual(client.getSnapshot().messages.map((m) => m.status), ['sending', 'sending']);
  // The connection drops before the acks: both go back to queued and are resent with the same ids.
  socket.serverClose(1001);
  assert.deepEqual(client.getSnapshot().messages.map((m) => m.status), ['queued', 'queued']);
  const ids = frames.map((f) => f.data.client_message_id);
  timers.advance(10_000);
  const again = await accept({ resumed: true });
  assert.deepEqual(again.sentOfType('user_message').map((f) => f.data.client_message_id), ids);
  for (const [index, id] of ids.entries()) {
    again.receive({
      type: 'message_received',
      seq: index + 1,
      data: { message_id: `m${index}`, client_message_id: id, chat_id: 'chat_1', role: 'user', content: index ? 'two' : 'one', created_at: new Date().toISOString() },
    });
  }
  assert.equal((await first).id, 'm0');
  assert.equal((await second).id, 'm1');
  // A duplicate ack (the server saw a resend) settles nothing twice and adds nothing.
  again.receive({
    type: 'message_received',
    seq: 3,
    data: { message_id: 'm0', client_message_id: ids[0], chat_id: 'chat_1', role: 'user', content: 'one', created_at: new Date().toISOString(), duplicate: true },
  });
  assert.deepEqual(client.getSnapshot().messages.map((m) => [m.id, m.status]), [['m0', 'sent'], ['m1', 'sent']]);
  assert.equal(client.getSnapshot().lastSeq, 3);
  client.close();
});

test('an error frame naming a client message id rejects that send with a typed error', async () => {
  const { client, accept } = harness();
  void client.connect();
  const socket = await accept();
  const sent = client.send('too fast');
  const id = socket.sentOfType('user_message')[0]!.data.client_message_id;
  socket.receive({ type: 'error', data: { code: 'rate_limited', message: 'Too many requests', retryable: true, retry_after: 3, client_message_id: id } });
  await assert.rejects(sent, (error: unknown) => {
    const e = error as { name: string; code: string; retryable: boolean; status: number; retryAfter: number };
    return e.name === 'ChatApiError' && e.code === 'rate_limited' && e.retryable && e.status === 429 && e.retryAfter === 3;
  });
  const message = client.getSnapshot().messages[0]!;
  assert.equal(message.status, 'error');
  assert.equal(message.errorCode, 'rate_limited');
  assert.deepEqual(client.getSnapshot().error, { code: 'rate_limited', message: 'Too many requests' });
  client.close();
});

test('send validates input and a closed client rejects new messages', async () => {
  const { client } = harness();
  await assert.rejects(client.send('   '), { code: 'validation_error' });
  await assert.rejects(client.send('x'.repeat(8001)), { code: 'message_too_large' });
  void client.connect();
  const pending = client.send('never delivered');
  client.close();
  await assert.rejects(pending, { code: 'not_joined' });
  await assert.rejects(client.send('after close'), { code: 'not_joined' });
});

test('stop() sends stop_generation for the answer being generated', async () => {
  const { client, accept } = harness();
  void client.connect();
  const socket = await accept();
  client.stop();
  assert.equal(socket.sentOfType('stop_generation').length, 0, 'nothing to stop');
  socket.receive({ type: 'processing', seq: 1, data: { message_id: 'a1', user_message_id: 'u1', chat_id: 'chat_1' } });
  client.stop();
  assert.deepEqual(socket.sentOfType('stop_generation')[0]!.data, { chat_id: 'chat_1', message_id: 'a1' });
  client.close();
});

test('one canonical event per frame; a replayed seq is neither applied nor emitted twice', async () => {
  const { client, accept } = harness();
  void client.connect();
  const socket = await accept();
  const seen: string[] = [];
  client.on('response_chunk', (frame) => seen.push(frame.data.content));
  const chunk = { type: 'response_chunk', seq: 5, data: { message_id: 'a1', chat_id: 'chat_1', content: ' the', chunk_index: 0 } };
  socket.receive(chunk);
  socket.receive(chunk);
  socket.receive({ ...chunk, seq: 6, data: { ...chunk.data, chunk_index: 1 } });
  assert.deepEqual(seen, [' the', ' the'], 'two identical chunks with different ids both count');
  assert.equal(client.getSnapshot().streamingContent, ' the the');
  client.close();
});

test('snapshots are immutable and change identity only when something changed', async () => {
  const { client, accept } = harness();
  void client.connect();
  const socket = await accept();
  const before = client.getSnapshot();
  assert.ok(Object.isFrozen(before));
  assert.ok(Object.isFrozen(before.messages));
  socket.receive({ type: 'pong', data: { ts: 1 } });
  assert.equal(client.getSnapshot(), before, 'a pong changes nothing');
  socket.receive({ type: 'processing', seq: 1, data: { message_id: 'a1', user_message_id: 'u1', chat_id: 'chat_1' } });
  assert.notEqual(client.getSnapshot(), before);
  assert.equal(client.getSnapshot().isTyping, true);
  client.close();
});

test('REST: chat creation retries retryable codes, stops on final ones, sends the guide headers', async () => {
  const timers = new ManualTimers();
  const calls: Array<{ headers: Record<string, string>; body: string }> = [];
  const answers = [503, 503, 201];
  const fetch = (async (_url: string, init: RequestInit) => {
    calls.push({ headers: init.headers as Record<string, string>, body: String(init.body) });
    const status = answers.shift()!;
    const body = status === 201 ? { id: 'chat_9' } : { code: 'schema_unavailable', message: 'migrating', request_id: 'r' };
    return new Response(JSON.stringify(body), { status });
  }) as unknown as typeof globalThis.fetch;
  const sockets = fakeSocketFactory();
  const storage = new MemoryStorage();
  const client = createChatClient({
    apiUrl: 'https://api.example.test/', tenantId: 'acme', token: 'jwt', fetch, timers, storage,
    WebSocket: sockets.WebSocket, random: () => 0.5, lifecycle: null,
  });
  void client.connect();
  await flush();
  timers.advance(250);
  await flush();
  timers.advance(500);
  await flush();
  assert.equal(calls.length, 3);
  assert.equal(client.getSnapshot().chatId, 'chat_9');
  assert.equal(calls[0]!.headers['X-Tenant-ID'], 'acme');
  assert.equal(calls[0]!.headers.Authorization, 'Bearer jwt');
  const body = JSON.parse(calls[0]!.body) as { session_id: string; tenant_id: string };
  assert.equal(body.tenant_id, 'acme');
  assert.equal(JSON.parse(storage.getItem('miptech_session_id')!).acme, body.session_id, 'session id persisted per tenant');
  client.close();

  const forbidden = createChatClient({
    apiUrl: 'https://api.example.test', tenantId: 'acme', token: 'jwt', timers, storage, lifecycle: null,
    WebSocket: sockets.WebSocket,
    fetch: (async () => new Response(JSON.stringify({ code: 'tenant_mismatch', message: 'wrong tenant', request_id: 'r' }), { status: 403 })) as unknown as typeof globalThis.fetch,
  });
  await assert.rejects(forbidden.connect(), { code: 'tenant_mismatch', status: 403, retryable: false });
  assert.equal(forbidden.getSnapshot().connection.state, 'failed');
  assert.equal(timers.pending, 0);
  forbidden.close();
});

test('a session id stored by the guide sample (a bare string) is adopted', async () => {
  const storage = new MemoryStorage();
  storage.setItem('miptech_session_id', 'legacy-session');
  const { client, fetch } = harness({ storage });
  void client.connect();
  await flush();
  assert.equal(JSON.parse(String(fetch.calls[0]!.init!.body)).session_id, 'legacy-session');
  assert.deepEqual(JSON.parse(storage.getItem('miptech_session_id')!), { acme: 'legacy-session' });
  client.close();
});

test('session_conflict: the stored session id is replaced once; a second conflict fails the connect', async () => {
  const timers = new ManualTimers();
  const sessions: string[] = [];
  const fetch = (async (_url: string, init: RequestInit) => {
    sessions.push((JSON.parse(String(init.body)) as { session_id: string }).session_id);
    return new Response(JSON.stringify({ code: 'session_conflict', message: 'Session belongs to another visitor', request_id: 'r' }), { status: 409 });
  }) as unknown as typeof globalThis.fetch;
  const storage = new MemoryStorage();
  storage.setItem('miptech_session_id', JSON.stringify({ acme: 'someone-elses' }));
  let next = 0;
  const client = createChatClient({
    apiUrl: 'https://api.example.test', tenantId: 'acme', token: 'jwt', fetch, timers, storage, lifecycle: null,
    WebSocket: fakeSocketFactory().WebSocket, random: () => (next++ % 10) / 10,
  });
  await assert.rejects(client.connect(), { code: 'session_conflict', status: 409 });
  assert.equal(sessions.length, 2, 'one new chat attempt, not a loop');
  assert.equal(sessions[0], 'someone-elses');
  assert.notEqual(sessions[1], 'someone-elses');
  assert.equal(JSON.parse(storage.getItem('miptech_session_id')!).acme, sessions[1]);
  assert.equal(client.getSnapshot().connection.state, 'failed');
  client.close();
});

function jwtWithExp(expSeconds: number): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${encode({ alg: 'HS256' })}.${encode({ exp: expSeconds, sub: 'v' })}.signature`;
}

test('getToken is asked again before a join when the cached JWT is about to expire', async () => {
  const nowSeconds = Math.floor(Date.now() / 1000);
  const tokens = [jwtWithExp(nowSeconds + 3600), jwtWithExp(nowSeconds + 10), jwtWithExp(nowSeconds + 3600)];
  let calls = 0;
  const { client, sockets, timers, accept } = harness({ getToken: () => tokens[calls++]! });
  void client.connect();
  await accept();
  assert.equal(calls, 1);
  client.close();
  // Started again (the client forgets the token on a new start): gets the short-lived one…
  void client.connect();
  await accept();
  assert.equal(calls, 2);
  assert.equal(sockets.last().sentOfType('join_chat')[0]!.data.token, tokens[1]);
  // …and a reconnect does not reuse it: it expires within the safety margin.
  sockets.last().serverClose(1001);
  timers.advance(10_000);
  await accept();
  assert.equal(calls, 3);
  assert.equal(sockets.last().sentOfType('join_chat')[0]!.data.token, tokens[2]);
  client.close();
});

test('REST 401 invalid_token is retried once with a fresh token from getToken()', async () => {
  const seen: string[] = [];
  const fetch = (async (_url: string, init: RequestInit) => {
    const auth = (init.headers as Record<string, string>).Authorization ?? '';
    seen.push(auth);
    if (auth === 'Bearer stale') return new Response(JSON.stringify({ code: 'invalid_token', message: 'bad', request_id: 'r' }), { status: 401 });
    return new Response(JSON.stringify({ id: 'chat_1' }), { status: 201 });
  }) as unknown as typeof globalThis.fetch;
  let calls = 0;
  const { client } = harness({ fetch, getToken: () => (calls++ === 0 ? 'stale' : 'fresh') });
  void client.connect();
  await flush(10);
  assert.deepEqual(seen, ['Bearer stale', 'Bearer fresh']);
  assert.equal(client.getSnapshot().chatId, 'chat_1');
  client.close();
});
