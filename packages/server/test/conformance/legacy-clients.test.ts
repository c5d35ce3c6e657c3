/**
 * deployed-clients.md: what real deployed widgets put on the wire, and what they need back.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '@miptech/testing/api-client.ts';
import { ALLOWED_TEST_ORIGIN, startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin, connectWs, type WsTestClient } from '@miptech/testing/ws-test-client.ts';

let tp: TestPlatform;

before(async () => {
  tp = await startTestPlatform();
});
after(() => tp.close());

/** The envelope keys the live widget adds to every frame. */
function liveWidgetFrame(type: string, data: Record<string, unknown>) {
  return { type, data, timestamp: Date.now(), client_id: null, __normalized: true, __normalizedAt: Date.now() };
}

function assertEventTsIncreasing(ws: WsTestClient): void {
  const stamps = ws.frames.map((frame) => frame.event_ts);
  for (let i = 1; i < stamps.length; i += 1) assert.ok(stamps[i]! > stamps[i - 1]!, `event_ts ${stamps[i]} after ${stamps[i - 1]}`);
}

describe('live website widget ("realtime v1", WebSocket only)', () => {
  test('anonymous join_chat {channel, create:true} from an allowed Origin, sent at open: chat_created then chat_joined, ids at the top level', async (t) => {
    const ws = await connectWs(tp.wsUrl(), { origin: ALLOWED_TEST_ORIGIN });
    t.after(() => ws.close());
    ws.send(liveWidgetFrame('join_chat', { channel: 'website', create: true }));
    const joined = await ws.waitFor('chat_joined');
    const created = ws.frames.find((frame) => frame.type === 'chat_created')!;
    assert.ok(created, 'chat_created sent');
    assert.ok(ws.frames.indexOf(created) < ws.frames.indexOf(joined));
    assert.equal(typeof created.chat_id, 'string');
    assert.equal(joined.chat_id, created.chat_id);
    assert.equal(joined.data.chat_id, created.chat_id);
    const chat = await tp.platform.services.store.chats.get(tp.tenantId, created.chat_id!);
    assert.equal(chat?.channel, 'website');
  });

  test('chat_message {message, stream, message_id} without a chat id: full answer, flat content, increasing event_ts', async (t) => {
    const ws = await connectWs(tp.wsUrl(), { origin: ALLOWED_TEST_ORIGIN });
    t.after(() => ws.close());
    ws.send(liveWidgetFrame('join_chat', { channel: 'website', create: true }));
    const joined = await ws.waitFor('chat_joined');
    ws.send(liveWidgetFrame('chat_message', { message: 'What is MIPTech?', stream: true, message_id: `msg_${Date.now()}_abc123` }));
    const answer = await ws.collectAnswer();
    const received = ws.frames.find((frame) => frame.type === 'message_received')!;
    assert.equal(received.chat_id, joined.chat_id);
    assert.equal(received.data.client_message_id?.startsWith('msg_'), true);
    const order = ws.frames.map((frame) => frame.type).filter((type) => !['ping', 'connection_established', 'initialization_progress', 'connection_ready', 'chat_created', 'chat_joined'].includes(type));
    assert.deepEqual(order.slice(0, 3), ['message_received', 'processing', 'response_start']);
    assert.equal(order.at(-1), 'response_complete');
    assert.equal(typeof answer.complete.data.content, 'string');
    assert.notEqual(answer.complete.data.content, '');
    assert.equal(answer.complete.data.content, answer.text);
    for (const chunk of answer.chunks) {
      assert.equal(typeof chunk.data.content, 'string');
      assert.equal(chunk.data.chunk, undefined, 'chunk text only under content');
      assert.equal(chunk.data.text, undefined);
    }
    assertEventTsIncreasing(ws);
  });

  test('identical chunks still get distinct, strictly increasing event_ts', async (t) => {
    const { createScriptedEngine } = await import('@miptech/testing/scripted-engine.ts');
    const own = await startTestPlatform({ overrides: { engine: createScriptedEngine({ chunks: [' the', ' the', ' the', ' the'] }) } });
    t.after(() => own.close());
    const ws = await connectWs(own.wsUrl(), { origin: ALLOWED_TEST_ORIGIN });
    ws.send(liveWidgetFrame('join_chat', { channel: 'website', create: true }));
    await ws.waitFor('chat_joined');
    ws.send(liveWidgetFrame('chat_message', { message: 'repeat' }));
    const answer = await ws.collectAnswer();
    assert.equal(answer.chunks.length, 4);
    assertEventTsIncreasing(ws);
    await ws.close();
  });

  test('a second create:true join on the same socket does not create a second chat', async (t) => {
    const ws = await connectWs(tp.wsUrl(), { origin: ALLOWED_TEST_ORIGIN });
    t.after(() => ws.close());
    ws.send(liveWidgetFrame('join_chat', { channel: 'website', create: true }));
    const first = await ws.waitFor('chat_joined');
    ws.mark();
    ws.send(liveWidgetFrame('join_chat', { channel: 'website', create: true }));
    const second = await ws.waitFor('chat_joined');
    assert.equal(second.chat_id, first.chat_id);
    assert.equal(ws.frames.filter((frame) => frame.type === 'chat_created').length, 1);
  });

  test('a reconnect with the same connection-level session_id rejoins the same chat (no orphan chat)', async () => {
    const sessionId = crypto.randomUUID();
    const chatIds = [];
    for (let i = 0; i < 2; i += 1) {
      const ws = await connectWs(tp.wsUrl({ session_id: sessionId }), { origin: ALLOWED_TEST_ORIGIN });
      ws.send(liveWidgetFrame('join_chat', { channel: 'website', create: true }));
      chatIds.push((await ws.waitFor('chat_joined')).chat_id);
      await ws.close();
    }
    assert.equal(chatIds[0], chatIds[1]);
  });

  test('a visitor cookie identifies the visitor the same way', async () => {
    const sessionId = crypto.randomUUID();
    const chatIds = [];
    for (let i = 0; i < 2; i += 1) {
      const ws = await connectWs(tp.wsUrl(), { origin: ALLOWED_TEST_ORIGIN, headers: { cookie: `other=1; miptech_session_id=${sessionId}` } });
      ws.send(liveWidgetFrame('join_chat', { channel: 'website', create: true }));
      chatIds.push((await ws.waitFor('chat_joined')).chat_id);
      await ws.close();
    }
    assert.equal(chatIds[0], chatIds[1]);
  });

  test('an anonymous join with another visitor’s chat id is refused (4403)', async () => {
    const owner = await connectWs(tp.wsUrl({ session_id: crypto.randomUUID() }), { origin: ALLOWED_TEST_ORIGIN });
    owner.send(liveWidgetFrame('join_chat', { create: true }));
    const chatId = (await owner.waitFor('chat_joined')).chat_id;
    await owner.close();
    const stranger = await connectWs(tp.wsUrl({ session_id: crypto.randomUUID() }), { origin: ALLOWED_TEST_ORIGIN });
    stranger.send(liveWidgetFrame('join_chat', { chat_id: chatId }));
    assert.equal((await stranger.waitFor('error')).data.code, 'chat_access_denied');
    assert.equal((await stranger.waitForClose()).code, 4403);
  });

  test('anonymous joins need an allowed Origin: none or another one still needs a token (4401)', async () => {
    for (const origin of [undefined, 'https://evil.example']) {
      const ws = await connectWs(tp.wsUrl(), origin ? { origin } : {});
      ws.send(liveWidgetFrame('join_chat', { channel: 'website', create: true }));
      assert.equal((await ws.waitFor('error')).data.code, 'auth_required');
      assert.equal((await ws.waitForClose()).code, 4401);
    }
  });

  test('a tenant without the anonymous-widget policy needs a token even from an allowed Origin', async () => {
    const closed = await tp.createTenant(`closed-${Date.now()}`, { anonymousWidget: false });
    const ws = await connectWs(tp.wsUrl({}, closed.tenant.id), { origin: ALLOWED_TEST_ORIGIN });
    ws.send(liveWidgetFrame('join_chat', { create: true }));
    assert.equal((await ws.waitFor('error')).data.code, 'auth_required');
    assert.equal((await ws.waitForClose()).code, 4401);
  });

  test('ping {ts} is answered with pong', async (t) => {
    const ws = await connectWs(tp.wsUrl(), { origin: ALLOWED_TEST_ORIGIN });
    t.after(() => ws.close());
    ws.send(liveWidgetFrame('join_chat', { create: true }));
    await ws.waitFor('chat_joined');
    ws.send(liveWidgetFrame('ping', { ts: 1234 }));
    const pong = await ws.waitFor('pong');
    assert.equal(pong.data.ts, 1234);
    assert.equal(typeof pong.event_ts, 'number');
  });
});

describe('guide-era widget (v3.2, REST + WebSocket)', () => {
  test('POST /api/v1/chat/ with copies of the tenant header, chat_id in the WS URL, snake_case join, user_message {text, tenant_id, chat_id}', async (t) => {
    const token = await tp.mintToken({ sub: 'guide-widget' });
    const created = await api(tp.url, 'POST', '/api/v1/chat/', {
      token,
      headers: { 'x-tenant-id': tp.tenantId, 'x-tenant': tp.tenantId, 'tenant-id': tp.tenantId },
      body: { session_id: crypto.randomUUID(), visitor_id: 'visitor-1', title: 'Website Chat Session', context: {}, tenant_id: tp.tenantId },
    });
    assert.equal(created.status, 201);
    const chatId = created.body.chat_id || created.body.id;
    const ws = await connectWs(tp.wsUrl({ chat_id: chatId }));
    t.after(() => ws.close());
    await ws.waitFor('connection_ready');
    ws.send({ type: 'join_chat', data: { chat_id: chatId, tenant_id: tp.tenantId, token } });
    await ws.waitFor('chat_joined');
    ws.send({ type: 'user_message', data: { text: 'Hi', tenant_id: tp.tenantId, chat_id: chatId } });
    const answer = await ws.collectAnswer();
    assert.equal(answer.complete.data.content, answer.text);
  });

  test('without a JWT (anonymous widget): POST /api/v1/chat/ sets the session cookie, and the WebSocket join with only chat_id and token null reaches the chat', async (t) => {
    const sessionId = crypto.randomUUID();
    const created = await api(tp.url, 'POST', '/api/v1/chat/', {
      origin: ALLOWED_TEST_ORIGIN,
      headers: { 'x-tenant-id': tp.tenantId, 'x-tenant': tp.tenantId, 'tenant-id': tp.tenantId },
      body: { session_id: sessionId, visitor_id: 'visitor-1', title: 'Website Chat Session', context: {}, tenant_id: tp.tenantId },
    });
    assert.equal(created.status, 201, created.text);
    const chatId = created.body.chat_id || created.body.id;
    const setCookie = created.headers.get('set-cookie') ?? '';
    const [pair, ...attributes] = setCookie.split(';').map((part) => part.trim());
    assert.equal(pair, `miptech_session_id.${tp.tenantId}=${sessionId}`);
    for (const attribute of ['HttpOnly', 'Path=/api/v1', 'SameSite=Lax']) assert.ok(attributes.includes(attribute), `${attribute} in ${setCookie}`);
    assert.ok(!attributes.includes('Secure'), 'plain http: not Secure');

    // What the browser sends with the handshake: the cookie, the Origin, ?tenant_id&chat_id.
    const ws = await connectWs(tp.wsUrl({ chat_id: chatId }), { origin: ALLOWED_TEST_ORIGIN, headers: { cookie: pair! } });
    t.after(() => ws.close());
    await ws.waitFor('connection_ready');
    ws.send({ type: 'join_chat', data: { chat_id: chatId, tenant_id: tp.tenantId, token: null } });
    const joined = await ws.waitFor('chat_joined');
    assert.equal(joined.chat_id, chatId);
    ws.send({ type: 'user_message', data: { text: 'Hi', tenant_id: tp.tenantId, chat_id: chatId } });
    const answer = await ws.collectAnswer();
    assert.equal(answer.complete.data.content, answer.text);

    // The history reads with the same cookie; a chat id alone opens nothing.
    const history = await api(tp.url, 'GET', `/api/v1/chat/${chatId}/messages`, { tenantId: tp.tenantId, origin: ALLOWED_TEST_ORIGIN, headers: { cookie: pair! } });
    assert.equal(history.status, 200);
    assert.equal(history.body.items.length, 2);
    const stranger = await connectWs(tp.wsUrl({ chat_id: chatId }), { origin: ALLOWED_TEST_ORIGIN });
    stranger.send({ type: 'join_chat', data: { chat_id: chatId, tenant_id: tp.tenantId, token: null } });
    assert.equal((await stranger.waitFor('error')).data.code, 'chat_access_denied');
    assert.equal((await stranger.waitForClose()).code, 4403);
    const otherCookie = await connectWs(tp.wsUrl({ chat_id: chatId }), { origin: ALLOWED_TEST_ORIGIN, headers: { cookie: `miptech_session_id.${tp.tenantId}=${crypto.randomUUID()}` } });
    otherCookie.send({ type: 'join_chat', data: { chat_id: chatId, tenant_id: tp.tenantId, token: null } });
    assert.equal((await otherCookie.waitForClose()).code, 4403);
    assert.equal((await api(tp.url, 'GET', `/api/v1/chat/${chatId}`, { tenantId: tp.tenantId, origin: ALLOWED_TEST_ORIGIN })).status, 404);
  });

  test('anonymous creation without a session_id still yields a reachable chat: a session id is generated, returned and set as the cookie', async (t) => {
    const created = await api(tp.url, 'POST', '/api/v1/chat/', { origin: ALLOWED_TEST_ORIGIN, tenantId: tp.tenantId, body: { title: 'Website Chat Session' } });
    assert.equal(created.status, 201, created.text);
    const sessionId = created.body.session_id;
    assert.equal(typeof sessionId, 'string');
    assert.ok(sessionId.length >= 16);
    const cookie = (created.headers.get('set-cookie') ?? '').split(';')[0]!;
    assert.equal(cookie, `miptech_session_id.${tp.tenantId}=${sessionId}`);
    // The session id in the join (or the URL) reaches the chat as well as the cookie does.
    const { ws, joined } = await connectAndJoin(tp.wsUrl({ chat_id: created.body.id }), { chatId: created.body.id, sessionId }, { origin: ALLOWED_TEST_ORIGIN });
    t.after(() => ws.close());
    assert.equal(joined.chat_id, created.body.id);
    const viaCookie = await connectAndJoin(tp.wsUrl({ chat_id: created.body.id }), { chatId: created.body.id }, { origin: ALLOWED_TEST_ORIGIN, headers: { cookie } });
    t.after(() => viaCookie.ws.close());
    assert.equal(viaCookie.joined.chat_id, created.body.id);
    // Resuming with the cookie only (a reload that lost localStorage) returns the same chat.
    const again = await api(tp.url, 'POST', '/api/v1/chat/', { origin: ALLOWED_TEST_ORIGIN, tenantId: tp.tenantId, headers: { cookie }, body: {} });
    assert.equal(again.status, 200);
    assert.equal(again.body.id, created.body.id);
  });

  test('over https (behind a TLS-terminating proxy) the session cookie is SameSite=None; Secure; Partitioned', async (t) => {
    const own = await startTestPlatform({ env: { TRUST_PROXY: 'true' } });
    t.after(() => own.close());
    const created = await api(own.url, 'POST', '/api/v1/chat/', {
      origin: ALLOWED_TEST_ORIGIN,
      tenantId: own.tenantId,
      headers: { 'x-forwarded-proto': 'https' },
      body: { session_id: crypto.randomUUID() },
    });
    assert.equal(created.status, 201);
    const attributes = (created.headers.get('set-cookie') ?? '').split(';').map((part) => part.trim());
    for (const attribute of ['HttpOnly', 'SameSite=None', 'Secure', 'Partitioned']) assert.ok(attributes.includes(attribute), attribute);
  });

  test('a request with a token gets no session cookie (the token names the visitor)', async () => {
    const created = await api(tp.url, 'POST', '/api/v1/chat/', { token: await tp.mintToken(), tenantId: tp.tenantId, origin: ALLOWED_TEST_ORIGIN, body: { session_id: crypto.randomUUID() } });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('set-cookie'), null);
  });

  test('pong answers sent before join_chat are fine', async (t) => {
    const token = await tp.mintToken();
    const created = await api(tp.url, 'POST', '/api/v1/chat/', { token, tenantId: tp.tenantId, body: {} });
    const ws = await connectWs(tp.wsUrl({ chat_id: created.body.id }));
    t.after(() => ws.close());
    ws.send({ type: 'pong', data: { ts: Date.now() } });
    ws.send({ type: 'pong', data: { ts: Date.now() } });
    ws.send({ type: 'join_chat', data: { chat_id: created.body.id, tenant_id: tp.tenantId, token } });
    await ws.waitFor('chat_joined');
  });

  test('GET /healthz answers {"status":"healthy"}', async () => {
    const res = await api(tp.url, 'GET', '/healthz');
    assert.equal(res.body.status, 'healthy');
  });
});
