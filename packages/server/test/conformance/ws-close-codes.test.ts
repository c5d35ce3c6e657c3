/**
 * Guide §7 and §8 "WebSocket Close Codes": one test per row, plus the handshake order.
 * Real sockets against a real platform (SQLite in a temp dir).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '@miptech/testing/api-client.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin, connectWs } from '@miptech/testing/ws-test-client.ts';
import { ManualClock } from '@miptech/testing/manual-clock.ts';

let tp: TestPlatform;
/** The join timeout runs on it: the tests move it forward instead of waiting. */
const clock = new ManualClock();

before(async () => {
  tp = await startTestPlatform({ env: { WS_JOIN_TIMEOUT_MS: '1000' }, overrides: { clock } });
});
after(() => tp.close());

async function createChat(token: string, sessionId?: string): Promise<string> {
  const res = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: tp.tenantId, body: { session_id: sessionId ?? crypto.randomUUID() } });
  assert.equal(res.status, 201, res.text);
  return res.body.id as string;
}

describe('handshake (guide §7)', () => {
  test('sends connection_established → initialization_progress → connection_ready at once, then chat_joined', async () => {
    const token = await tp.mintToken();
    const chatId = await createChat(token);
    const ws = await connectWs(tp.wsUrl());
    await ws.waitFor('connection_ready');
    assert.deepEqual(
      ws.frames.map((frame) => frame.type),
      ['connection_established', 'initialization_progress', 'connection_ready'],
    );
    ws.send({ type: 'join_chat', data: { chatId, chat_id: chatId, tenantId: tp.tenantId, tenant_id: tp.tenantId, token } });
    const joined = await ws.waitFor('chat_joined');
    assert.equal(joined.chat_id, chatId);
    assert.equal(joined.data.chat_id, chatId);
    assert.equal(joined.tenant_id, tp.tenantId);
    await ws.close();
  });

  test('join_chat sent right at open (before connection_ready arrives) is accepted', async () => {
    const token = await tp.mintToken();
    const chatId = await createChat(token);
    const ws = await connectWs(tp.wsUrl());
    ws.send({ type: 'join_chat', data: { chat_id: chatId, token } });
    await ws.waitFor('chat_joined');
    assert.ok(ws.frames.findIndex((f) => f.type === 'connection_ready') < ws.frames.findIndex((f) => f.type === 'chat_joined'));
    await ws.close();
  });

  test('ping and pong before join_chat do not count as the first frame', async () => {
    const token = await tp.mintToken();
    const chatId = await createChat(token);
    const ws = await connectWs(tp.wsUrl());
    ws.send({ type: 'pong', data: { ts: Date.now() } });
    ws.send({ type: 'ping', data: { ts: 42 } });
    const pong = await ws.waitFor('pong');
    assert.equal(pong.data.ts, 42);
    ws.send({ type: 'join_chat', data: { chat_id: chatId, token } });
    await ws.waitFor('chat_joined');
    await ws.close();
  });
});

describe('close codes (guide §8)', () => {
  test('1001: server restarting (rolling deploy) closes joined sockets with 1001', async () => {
    const own = await startTestPlatform();
    try {
      const token = await own.mintToken();
      const res = await api(own.url, 'POST', '/api/v1/chat', { token, tenantId: own.tenantId, body: {} });
      const { ws } = await connectAndJoin(own.wsUrl(), { chatId: res.body.id, token });
      const closing = own.close();
      const closed = await ws.waitForClose();
      assert.equal(closed.code, 1001);
      await closing;
    } finally {
      await own.close();
    }
  });

  test('1008: missing tenant_id closes with reason "tenant_id required"', async () => {
    const ws = await connectWs(tp.wsUrl(null));
    const closed = await ws.waitForClose();
    assert.equal(closed.code, 1008);
    assert.equal(closed.reason, 'tenant_id required');
  });

  test('1008: unknown tenant closes with 1008', async () => {
    const ws = await connectWs(tp.wsUrl({}, 'no-such-tenant'));
    const closed = await ws.waitForClose();
    assert.equal(closed.code, 1008);
    assert.equal(ws.frames.length, 0, 'no status frames for an unknown tenant');
  });

  test('4400: a first frame other than join_chat gets an error frame, then 4400', async () => {
    const ws = await connectWs(tp.wsUrl());
    ws.send({ type: 'user_message', data: { text: 'hi' } });
    const error = await ws.waitFor('error');
    assert.equal(error.data.code, 'join_required');
    assert.equal((await ws.waitForClose()).code, 4400);
  });

  test('4400: a non-JSON first frame gets an error frame, then 4400', async () => {
    const ws = await connectWs(tp.wsUrl());
    ws.sendRaw('this is not json');
    assert.equal((await ws.waitFor('error')).data.code, 'join_required');
    assert.equal((await ws.waitForClose()).code, 4400);
  });

  test('4401: join_chat without a token (JWT required)', async () => {
    const token = await tp.mintToken();
    const chatId = await createChat(token);
    const ws = await connectWs(tp.wsUrl());
    ws.send({ type: 'join_chat', data: { chat_id: chatId } });
    assert.equal((await ws.waitFor('error')).data.code, 'auth_required');
    assert.equal((await ws.waitForClose()).code, 4401);
  });

  test('4401: an invalid token (bad signature)', async () => {
    const token = await tp.mintToken({ secret: 'x'.repeat(40) });
    const ws = await connectWs(tp.wsUrl());
    ws.send({ type: 'join_chat', data: { chat_id: 'chat_whatever', token } });
    assert.equal((await ws.waitFor('error')).data.code, 'invalid_token');
    assert.equal((await ws.waitForClose()).code, 4401);
  });

  test('4401: an expired token', async () => {
    const token = await tp.mintToken({ ttlSeconds: -60 });
    const ws = await connectWs(tp.wsUrl());
    ws.send({ type: 'join_chat', data: { chat_id: 'chat_whatever', token } });
    assert.equal((await ws.waitFor('error')).data.code, 'token_expired');
    assert.equal((await ws.waitForClose()).code, 4401);
  });

  test('4403: a token of another tenant (tenant mismatch)', async () => {
    const other = await tp.createTenant(`other-${Date.now()}`);
    const token = await tp.mintToken({ tenantId: other.tenant.id });
    const ws = await connectWs(tp.wsUrl());
    ws.send({ type: 'join_chat', data: { chat_id: 'chat_whatever', token } });
    assert.equal((await ws.waitFor('error')).data.code, 'tenant_mismatch');
    assert.equal((await ws.waitForClose()).code, 4403);
  });

  test('4403: a token without chat:send (insufficient scope)', async () => {
    const creator = await tp.mintToken({ sub: 'scoped-user' });
    const chatId = await createChat(creator);
    const token = await tp.mintToken({ sub: 'scoped-user', scopes: ['chat:create'] });
    const ws = await connectWs(tp.wsUrl());
    ws.send({ type: 'join_chat', data: { chat_id: chatId, token } });
    assert.equal((await ws.waitFor('error')).data.code, 'insufficient_scope');
    assert.equal((await ws.waitForClose()).code, 4403);
  });

  test('4403: another visitor’s chat and a nonexistent chat are refused alike', async () => {
    const chatId = await createChat(await tp.mintToken({ sub: 'owner' }));
    const intruder = await tp.mintToken({ sub: 'intruder' });
    const results = [];
    for (const target of [chatId, 'chat_00000000000000000000000000']) {
      const ws = await connectWs(tp.wsUrl());
      ws.send({ type: 'join_chat', data: { chat_id: target, token: intruder } });
      const error = await ws.waitFor('error');
      const closed = await ws.waitForClose();
      results.push({ code: error.data.code, message: error.data.message, close: closed.code, reason: closed.reason });
    }
    assert.equal(results[0]!.close, 4403);
    assert.equal(results[0]!.code, 'chat_access_denied');
    assert.deepEqual(results[0], results[1], 'the two refusals must be indistinguishable');
  });

  test('4408: no join_chat within WS_JOIN_TIMEOUT_MS', async () => {
    const ws = await connectWs(tp.wsUrl());
    await ws.waitFor('connection_ready');
    await clock.advance(999);
    await ws.roundTrip();
    assert.equal(ws.all('error').length, 0, 'not before the timeout');
    await clock.advance(1);
    assert.equal((await ws.waitFor('error', 3000)).data.code, 'join_timeout');
    assert.equal((await ws.waitForClose(3000)).code, 4408);
  });

  test('a join arriving before the timeout cancels it', async () => {
    const token = await tp.mintToken();
    const chatId = await createChat(token);
    const { ws } = await connectAndJoin(tp.wsUrl(), { chatId, token });
    await clock.advance(1300);
    // Had the timeout fired, its error and close would arrive before this pong.
    await ws.roundTrip();
    assert.equal(ws.all('error').length, 0);
    assert.equal(ws.socket.readyState, ws.socket.OPEN);
    await ws.close();
  });

  test('a token in the URL is never accepted', async () => {
    const token = await tp.mintToken();
    const chatId = await createChat(token);
    const ws = await connectWs(tp.wsUrl({ token, chat_id: chatId }));
    ws.send({ type: 'join_chat', data: { chat_id: chatId } });
    assert.equal((await ws.waitFor('error')).data.code, 'auth_required');
    assert.equal((await ws.waitForClose()).code, 4401);
  });
});
