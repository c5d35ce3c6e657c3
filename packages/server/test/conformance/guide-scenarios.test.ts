/**
 * Guide §10 "Testing Guide": development mode (JWT optional), production mode (JWT with scopes),
 * and each of the six common test scenarios, including a server restart (1001) after which a
 * client of the guide reconnects and rejoins by itself and the answer in flight was stored.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { shouldReconnect } from '@miptech/protocol';
import { api } from '@miptech/testing/api-client.ts';
import { createScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin, connectWs, type WsTestClient } from '@miptech/testing/ws-test-client.ts';
import { ManualClock } from '@miptech/testing/manual-clock.ts';

describe('development mode (WIDGET_JWT_REQUIRED=false, WS_JWT_REQUIRED=false)', () => {
  test('a client without a token creates a chat, joins and gets an answer', async (t) => {
    const tp = await startTestPlatform({ env: { WIDGET_JWT_REQUIRED: 'false', WS_JWT_REQUIRED: 'false' } });
    t.after(() => tp.close());
    const created = await api(tp.url, 'POST', '/api/v1/chat', { tenantId: tp.tenantId, body: { session_id: crypto.randomUUID() } });
    assert.equal(created.status, 201);
    const { ws } = await connectAndJoin(tp.wsUrl(), { chatId: created.body.id });
    ws.send({ type: 'user_message', data: { chat_id: created.body.id, text: 'no token' } });
    const answer = await ws.collectAnswer();
    assert.equal(answer.complete.data.content, answer.text);
    await ws.close();
  });

  test('a token that is sent is still verified', async (t) => {
    const tp = await startTestPlatform({ env: { WIDGET_JWT_REQUIRED: 'false', WS_JWT_REQUIRED: 'false' } });
    t.after(() => tp.close());
    const res = await api(tp.url, 'POST', '/api/v1/chat', { token: 'garbage', tenantId: tp.tenantId, body: {} });
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'invalid_token');
  });
});

describe('production mode (JWT required)', () => {
  test('a JWT {tenant_id, scope: [chat:create, chat:send], exp in seconds} creates, joins and chats', async (t) => {
    const tp = await startTestPlatform();
    t.after(() => tp.close());
    const token = await tp.mintToken({ scopes: ['chat:create', 'chat:send'], sub: 'prod-user' });
    const created = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: tp.tenantId, body: { title: 'Website Chat Session', tenant_id: tp.tenantId, session_id: crypto.randomUUID() } });
    assert.equal(created.status, 201);
    const { ws } = await connectAndJoin(tp.wsUrl(), { chatId: created.body.id, token });
    ws.send({ type: 'user_message', data: { chatId: created.body.id, chat_id: created.body.id, text: 'hello' } });
    await ws.collectAnswer();
    await ws.close();
  });
});

describe('common test scenarios (guide §10)', () => {
  test('1. missing tenant_id: the WebSocket closes with 1008', async (t) => {
    const tp = await startTestPlatform();
    t.after(() => tp.close());
    const ws = await connectWs(tp.wsUrl(null));
    const closed = await ws.waitForClose();
    assert.equal(closed.code, 1008);
    assert.equal(shouldReconnect(closed.code), false);
  });

  test('2. missing token: the WebSocket closes with 4401', async (t) => {
    const tp = await startTestPlatform();
    t.after(() => tp.close());
    const ws = await connectWs(tp.wsUrl());
    ws.send({ type: 'join_chat', data: { chat_id: 'chat_x', tenant_id: tp.tenantId } });
    assert.equal((await ws.waitForClose()).code, 4401);
  });

  test('3. wrong tenant in token: the WebSocket closes with 4403', async (t) => {
    const tp = await startTestPlatform();
    t.after(() => tp.close());
    await tp.createTenant('tenant-b');
    const token = await tp.mintToken({ tenantId: 'tenant-b' });
    const ws = await connectWs(tp.wsUrl());
    ws.send({ type: 'join_chat', data: { chat_id: 'chat_x', token } });
    assert.equal((await ws.waitForClose()).code, 4403);
  });

  test('4. missing scopes: the WebSocket closes with 4403', async (t) => {
    const tp = await startTestPlatform();
    t.after(() => tp.close());
    const token = await tp.mintToken({ scopes: [] });
    const ws = await connectWs(tp.wsUrl());
    ws.send({ type: 'join_chat', data: { chat_id: 'chat_x', token } });
    assert.equal((await ws.waitFor('error')).data.code, 'insufficient_scope');
    assert.equal((await ws.waitForClose()).code, 4403);
  });

  test('5. timeout: the WebSocket closes with 4408 if join_chat is not sent in time', async (t) => {
    const clock = new ManualClock();
    const tp = await startTestPlatform({ env: { WS_JOIN_TIMEOUT_MS: '300' }, overrides: { clock } });
    t.after(() => tp.close());
    const ws = await connectWs(tp.wsUrl());
    const ready = await ws.waitFor('connection_ready');
    assert.equal(ready.data.join_timeout_ms, 300);
    await clock.advance(300);
    assert.equal((await ws.waitForClose()).code, 4408);
  });

  test('6. server restart: 1001, the client reconnects and rejoins the same chat; the answer in flight was finished and stored', async (t) => {
    // Slow answer, so the shutdown happens while it streams.
    const engine = createScriptedEngine({ chunks: Array.from({ length: 20 }, (_, i) => ` part${i}`), delayMs: 25 });
    let tp: TestPlatform = await startTestPlatform({ overrides: { engine } });
    t.after(() => tp.close());
    const token = await tp.mintToken({ sub: 'restart-user' });
    const created = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: tp.tenantId, body: { session_id: crypto.randomUUID() } });
    const chatId = created.body.id as string;
    const { ws } = await connectAndJoin(tp.wsUrl(), { chatId, token });
    ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'tell me a long story', client_message_id: 'story-1' } });
    await ws.waitFor((frame) => frame.type === 'response_chunk' && frame.data.chunk_index === 1);

    const restarting = tp.restart({ graceMs: 5000 });
    const closed = await ws.waitForClose();
    assert.equal(closed.code, 1001);
    assert.equal(shouldReconnect(closed.code), true);
    tp = await restarting;

    // What a client of the guide does: reconnect with backoff, then rejoin the same chat.
    let rejoined: WsTestClient | null = null;
    for (let attempt = 1; attempt <= 10 && !rejoined; attempt += 1) {
      try {
        rejoined = (await connectAndJoin(tp.wsUrl(), { chatId, token })).ws;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
    assert.ok(rejoined, 'the client rejoined after the restart');
    t.after(() => rejoined!.close());
    assert.equal(rejoined.frames.find((frame) => frame.type === 'chat_joined')!.chat_id, chatId);

    const history = await api(tp.url, 'GET', `/api/v1/chat/${chatId}/messages`, { token, tenantId: tp.tenantId });
    const assistant = history.body.items.find((m: { role: string }) => m.role === 'assistant');
    assert.equal(assistant.status, 'complete');
    assert.equal(assistant.content, Array.from({ length: 20 }, (_, i) => ` part${i}`).join(''));

    // The conversation continues on the new server.
    rejoined.send({ type: 'user_message', data: { chat_id: chatId, text: 'and then?' } });
    const answer = await rejoined.collectAnswer();
    assert.equal(answer.complete.data.status, 'complete');
  });

  test('an answer that outlives the grace period is stored as interrupted with its partial text', async (t) => {
    const engine = createScriptedEngine({ chunks: Array.from({ length: 500 }, (_, i) => ` w${i}`), delayMs: 20 });
    const tp = await startTestPlatform({ overrides: { engine } });
    const token = await tp.mintToken();
    const created = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: tp.tenantId, body: {} });
    const { ws } = await connectAndJoin(tp.wsUrl(), { chatId: created.body.id, token });
    ws.send({ type: 'user_message', data: { text: 'endless' } });
    await ws.waitFor((frame) => frame.type === 'response_chunk');
    // Shut down with a short grace period and read the stored answer through a new platform on the same data.
    const reopened = await tp.restart({ graceMs: 100 });
    t.after(() => reopened.close());
    assert.equal((await ws.waitForClose()).code, 1001);
    const messages = await reopened.platform.services.store.messages.list(reopened.tenantId, created.body.id, { limit: 10 });
    const assistant = messages.items.find((m) => m.role === 'assistant')!;
    assert.equal(assistant.status, 'interrupted');
    assert.ok(assistant.content.startsWith(' w0'));
    assert.ok(assistant.content.length < 500 * 4);
  });
});
