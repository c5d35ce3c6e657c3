/**
 * What one socket may make the server hold: until a join_chat has arrived, messages up to
 * WS_JOIN_MAX_FRAME_BYTES — also an unfinished fragmented one, refused (1009) as its fragments
 * arrive, not once it completes; after the join, WS_MAX_FRAME_BYTES as before. A message left
 * unfinished for WS_PARTIAL_FRAME_TIMEOUT_MS closes the socket (1013), and protocol-level pongs
 * (which the server never asks for: its heartbeat is the JSON `ping`) do not count as signs of
 * life, so a socket that never completes a message cannot keep itself open with them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin, connectWs, type WsTestClient } from '@miptech/testing/ws-test-client.ts';

/** Sends `count` fragments of `bytes` each, the message left unfinished (fin never set). */
async function sendUnfinished(ws: WsTestClient, count: number, bytes: number): Promise<void> {
  for (let i = 0; i < count && ws.socket.readyState === ws.socket.OPEN; i += 1) {
    await new Promise<void>((resolve) => ws.socket.send(' '.repeat(bytes), { fin: false }, () => resolve()));
  }
}

/** Sends protocol-level pongs every `everyMs` until the socket closes. */
function pongUntilClosed(ws: WsTestClient, everyMs: number): void {
  const timer = setInterval(() => {
    if (ws.socket.readyState === ws.socket.OPEN) ws.socket.pong();
    else clearInterval(timer);
  }, everyMs);
  void ws.closed.then(() => clearInterval(timer));
}

test('before the join: a frame, or an unfinished fragmented message, over WS_JOIN_MAX_FRAME_BYTES closes the socket with 1009', async (t) => {
  const tp = await startTestPlatform();
  t.after(() => tp.close());
  assert.equal(tp.config.wsJoinMaxFrameBytes, 16 * 1024, 'the default');

  const whole = await connectWs(tp.wsUrl());
  whole.sendRaw(JSON.stringify({ type: 'join_chat', data: { create: true, pad: 'x'.repeat(20_000) } }));
  assert.equal((await whole.waitForClose()).code, 1009);

  // 64 KiB in 8 KiB fragments, never finished: refused at the third fragment, long before the end.
  const fragments = await connectWs(tp.wsUrl());
  await sendUnfinished(fragments, 8, 8 * 1024);
  assert.equal((await fragments.waitForClose()).code, 1009);

  // A join of ordinary size is unaffected, and once it has arrived the joined limit applies at once
  // (a big message sent right behind the join is processed).
  const token = await tp.mintToken();
  const ws = await connectWs(tp.wsUrl());
  t.after(() => ws.close());
  ws.send({ type: 'join_chat', data: { create: true, token } });
  ws.sendRaw(JSON.stringify({ type: 'ping', data: { ts: 7 } }) + ' '.repeat(40_000));
  await ws.waitFor('chat_joined');
  await ws.waitFor((frame) => frame.type === 'pong' && frame.data.ts === 7);
});

test('a message left unfinished longer than WS_PARTIAL_FRAME_TIMEOUT_MS closes the socket with 1013, pongs or not', async (t) => {
  const tp = await startTestPlatform({ env: { WS_PARTIAL_FRAME_TIMEOUT_MS: '300', WS_HEARTBEAT_INTERVAL_MS: '600000', WS_JOIN_TIMEOUT_MS: '600000' } });
  t.after(() => tp.close());
  const token = await tp.mintToken();
  const { ws } = await connectAndJoin(tp.wsUrl(), { create: true, token });
  t.after(() => ws.close());
  const started = Date.now();
  await sendUnfinished(ws, 1, 1024);
  pongUntilClosed(ws, 50);
  const closed = await ws.waitForClose(5000);
  assert.equal(closed.code, 1013);
  assert.ok(Date.now() - started >= 250, 'not before the timeout');

  // A message completed in time is not affected.
  const { ws: other } = await connectAndJoin(tp.wsUrl(), { create: true, token });
  t.after(() => other.close());
  await sendUnfinished(other, 1, 1024);
  other.socket.send(JSON.stringify({ type: 'ping', data: { ts: 9 } }), { fin: true });
  await other.waitFor((frame) => frame.type === 'pong' && frame.data.ts === 9);
  await new Promise((resolve) => setTimeout(resolve, 800));
  other.mark();
  await other.roundTrip();
});

test('unsolicited pongs between fragments do not keep a joined socket alive: the heartbeat closes it (1001)', async (t) => {
  const tp = await startTestPlatform({ env: { WS_HEARTBEAT_INTERVAL_MS: '200', WS_PARTIAL_FRAME_TIMEOUT_MS: '600000' } });
  t.after(() => tp.close());
  const token = await tp.mintToken();
  const { ws } = await connectAndJoin(tp.wsUrl(), { create: true, token });
  t.after(() => ws.close());
  await sendUnfinished(ws, 1, 512);
  pongUntilClosed(ws, 40);
  const closed = await ws.waitForClose(5000);
  assert.equal(closed.code, 1001);
  assert.ok(ws.all((frame) => frame.type === 'ping').length >= 1, 'the server pinged, and no JSON pong came back');
});
