/**
 * After the join, bad frames (non-JSON, unknown type, missing text, oversized, binary) get an
 * `error` frame with a code and the socket stays open; floods get `rate_limited` with
 * retry_after. Heartbeat: server pings every interval, client pings are answered, a silent
 * connection is closed.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '@miptech/testing/api-client.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin, connectWs, type WsTestClient } from '@miptech/testing/ws-test-client.ts';
import { ManualClock } from '@miptech/testing/manual-clock.ts';

let tp: TestPlatform;
/** The flood window runs on it: the tests move it forward instead of waiting. */
const clock = new ManualClock();

before(async () => {
  tp = await startTestPlatform({ env: { WS_MAX_FRAME_BYTES: '4096' }, overrides: { clock } });
});
after(() => tp.close());

async function joined(platform: TestPlatform = tp): Promise<{ ws: WsTestClient; chatId: string }> {
  const token = await platform.mintToken();
  const res = await api(platform.url, 'POST', '/api/v1/chat', { token, tenantId: platform.tenantId, body: {} });
  const { ws } = await connectAndJoin(platform.wsUrl(), { chatId: res.body.id, token });
  return { ws, chatId: res.body.id };
}

async function expectErrorAndStillOpen(ws: WsTestClient, send: () => void, code: string): Promise<void> {
  ws.mark();
  send();
  const error = await ws.waitFor('error');
  assert.equal(error.data.code, code);
  assert.equal(typeof error.data.message, 'string');
  assert.equal(typeof error.event_ts, 'number');
  // Still usable: a ping is answered.
  ws.mark();
  ws.send({ type: 'ping', data: { ts: 7 } });
  await ws.waitFor('pong');
  assert.equal(ws.socket.readyState, ws.socket.OPEN);
}

describe('bad frames after the join', () => {
  test('non-JSON → invalid_frame', async (t) => {
    const { ws } = await joined();
    t.after(() => ws.close());
    await expectErrorAndStillOpen(ws, () => ws.sendRaw('{not json'), 'invalid_frame');
  });

  test('JSON without a type → invalid_frame', async (t) => {
    const { ws } = await joined();
    t.after(() => ws.close());
    await expectErrorAndStillOpen(ws, () => ws.send({ data: { text: 'x' } }), 'invalid_frame');
  });

  test('unknown type → unknown_frame_type', async (t) => {
    const { ws } = await joined();
    t.after(() => ws.close());
    await expectErrorAndStillOpen(ws, () => ws.send({ type: 'make_coffee', data: {} }), 'unknown_frame_type');
  });

  test('missing text → validation_error', async (t) => {
    const { ws, chatId } = await joined();
    t.after(() => ws.close());
    await expectErrorAndStillOpen(ws, () => ws.send({ type: 'user_message', data: { chat_id: chatId } }), 'validation_error');
  });

  test('oversized frame → message_too_large', async (t) => {
    const { ws, chatId } = await joined();
    t.after(() => ws.close());
    await expectErrorAndStillOpen(ws, () => ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'x'.repeat(10_000) } }), 'message_too_large');
  });

  test('text longer than the message limit (frame within the size limit) → message_too_large', async (t) => {
    const own = await startTestPlatform();
    t.after(() => own.close());
    const { ws, chatId } = await joined(own);
    await expectErrorAndStillOpen(ws, () => ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'y'.repeat(8001) } }), 'message_too_large');
    await ws.close();
  });

  test('binary frame → binary_not_supported', async (t) => {
    const { ws } = await joined();
    t.after(() => ws.close());
    await expectErrorAndStillOpen(ws, () => ws.sendRaw(Buffer.from([1, 2, 3]), { binary: true }), 'binary_not_supported');
  });

  test('a flood of frames → rate_limited with retry_after; the socket stays open', async (t) => {
    const { ws } = await joined();
    t.after(() => ws.close());
    ws.mark();
    for (let i = 0; i < 120; i += 1) ws.send({ type: 'ping', data: { ts: i } });
    const error = await ws.waitFor((frame) => frame.type === 'error' && frame.data.code === 'rate_limited');
    assert.ok(error.data.retry_after >= 1);
    // Reported once per one-second window (the burst may straddle two windows).
    const reports = ws.all((frame) => frame.type === 'error' && frame.data.code === 'rate_limited').length;
    assert.ok(reports >= 1 && reports <= 2, `${reports} reports`);
    assert.ok(ws.all('pong').length < 120, 'frames over the limit were dropped');
    await clock.advance(1100);
    ws.mark();
    ws.send({ type: 'ping', data: { ts: 999 } });
    assert.equal((await ws.waitFor('pong')).data.ts, 999);
  });

  test('too many user messages for the tenant’s limit → rate_limited with retry_after, nothing stored', async (t) => {
    const own = await startTestPlatform();
    t.after(() => own.close());
    const limited = await own.createTenant('msg-limited', { rateLimits: { messagesPerMinute: 2, requestsPerMinute: 100, chatsPerHour: 100 } });
    const token = await own.mintToken({ tenantId: limited.tenant.id });
    const res = await api(own.url, 'POST', '/api/v1/chat', { token, tenantId: limited.tenant.id, body: {} });
    const { ws } = await connectAndJoin(own.wsUrl({}, limited.tenant.id), { chatId: res.body.id, token });
    for (let i = 0; i < 3; i += 1) ws.send({ type: 'user_message', data: { text: `m${i}`, client_message_id: `m${i}` } });
    const error = await ws.waitFor((frame) => frame.type === 'error' && frame.data.code === 'rate_limited');
    assert.ok(error.data.retry_after >= 1);
    assert.equal(error.data.client_message_id, 'm2');
    const stored = await own.platform.services.store.messages.list(limited.tenant.id, res.body.id, { limit: 50 });
    assert.equal(stored.items.filter((m) => m.role === 'user').length, 2);
    await ws.close();
  });

  test('join_chat {create:true} over the tenant’s chat creation limit → rate_limited with retry_after, close 1013', async (t) => {
    const own = await startTestPlatform();
    t.after(() => own.close());
    const limited = await own.createTenant('chat-limited', { rateLimits: { messagesPerMinute: 30, requestsPerMinute: 100, chatsPerHour: 1 } });
    const token = await own.mintToken({ tenantId: limited.tenant.id });
    const first = await connectAndJoin(own.wsUrl({}, limited.tenant.id), { token, create: true });
    await first.ws.close();
    const second = await connectWs(own.wsUrl({}, limited.tenant.id));
    second.send({ type: 'join_chat', data: { token, create: true } });
    const error = await second.waitFor('error');
    assert.equal(error.data.code, 'rate_limited');
    assert.ok(error.data.retry_after >= 1, 'the client learns when to try again');
    assert.equal((await second.waitForClose()).code, 1013);
  });
});

describe('heartbeat', () => {
  // The heartbeat runs on a manual clock: each test moves it forward instead of waiting.
  test('the server pings every interval; a client that answers stays connected', async (t) => {
    const ownClock = new ManualClock();
    const own = await startTestPlatform({ env: { WS_HEARTBEAT_INTERVAL_MS: '250' }, overrides: { clock: ownClock } });
    t.after(() => own.close());
    const { ws } = await joined(own);
    ws.socket.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as { type: string; data: { ts: number } };
      if (frame.type === 'ping') ws.send({ type: 'pong', data: { ts: frame.data.ts } });
    });
    // 1100 ms in steps, each ending once the server handled the pongs sent so far.
    for (const step of [250, 250, 250, 250, 100]) {
      await ownClock.advance(step);
      await ws.roundTrip();
    }
    assert.ok(ws.frames.filter((frame) => frame.type === 'ping').length >= 3);
    assert.equal(ws.socket.readyState, ws.socket.OPEN);
    await ws.close();
  });

  test('a client that answers pings before joining is fine (pong before join_chat)', async (t) => {
    const ownClock = new ManualClock();
    const own = await startTestPlatform({ env: { WS_HEARTBEAT_INTERVAL_MS: '250', WS_JOIN_TIMEOUT_MS: '2000' }, overrides: { clock: ownClock } });
    t.after(() => own.close());
    const token = await own.mintToken();
    const res = await api(own.url, 'POST', '/api/v1/chat', { token, tenantId: own.tenantId, body: {} });
    const ws = await connectWs(own.wsUrl());
    await ws.waitFor('connection_ready');
    await ownClock.advance(250);
    const ping = await ws.waitFor('ping', 2000);
    ws.send({ type: 'pong', data: { ts: ping.data.ts } });
    ws.send({ type: 'join_chat', data: { chat_id: res.body.id, token } });
    await ws.waitFor('chat_joined');
    await ws.close();
  });

  test('a silent connection is closed after two intervals', async (t) => {
    const ownClock = new ManualClock();
    const own = await startTestPlatform({ env: { WS_HEARTBEAT_INTERVAL_MS: '100' }, overrides: { clock: ownClock } });
    t.after(() => own.close());
    const { ws } = await joined(own);
    await ownClock.advance(300);
    const closed = await ws.waitForClose(3000);
    assert.equal(closed.code, 1001);
    assert.ok(ws.frames.some((frame) => frame.type === 'ping'));
  });
});
