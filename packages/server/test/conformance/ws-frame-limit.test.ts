/**
 * WS_MAX_FRAME_BYTES is honoured whatever its value (up to 16 MiB): a frame of exactly the limit is
 * processed, one byte more gets `error {code: message_too_large}` with the socket left open — also
 * above 4 MiB, where the WebSocket layer used to close with 1009 first. Far above the limit
 * (WS_MAX_FRAME_BYTES + 4 MiB) the WebSocket layer closes with 1009 without reading the rest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';
import { connectWs } from '@miptech/testing/ws-test-client.ts';

const LIMIT = 5 * 1024 * 1024;
const HEADROOM = 4 * 1024 * 1024;

/** A JSON frame padded with trailing spaces (still valid JSON) to exactly `bytes` bytes. */
function padded(frame: unknown, bytes: number): string {
  const json = JSON.stringify(frame);
  assert.ok(json.length <= bytes);
  return json + ' '.repeat(bytes - json.length);
}

test('frames at, just above and far above a WS_MAX_FRAME_BYTES over 4 MiB', async (t) => {
  const tp = await startTestPlatform({ env: { WS_MAX_FRAME_BYTES: String(LIMIT) } });
  t.after(() => tp.close());
  const token = await tp.mintToken();
  const ws = await connectWs(tp.wsUrl());
  t.after(() => ws.close());

  // The join itself is held to WS_JOIN_MAX_FRAME_BYTES (test/hardening/ws-frame-bounds.test.ts);
  // the frame of exactly the limit comes after it.
  ws.send({ type: 'join_chat', data: { create: true, token } });
  await ws.waitFor('chat_joined', 15_000);
  ws.sendRaw(padded({ type: 'ping', data: { ts: 0 } }, LIMIT));
  await ws.waitFor((frame) => frame.type === 'pong' && frame.data.ts === 0, 15_000);

  ws.mark();
  ws.sendRaw(padded({ type: 'ping', data: { ts: 1 } }, LIMIT + 1));
  const error = await ws.waitFor('error', 15_000);
  assert.equal(error.data.code, 'message_too_large');
  ws.send({ type: 'ping', data: { ts: 2 } });
  const pong = await ws.waitFor((frame) => frame.type === 'pong' && frame.data.ts === 2, 15_000);
  assert.ok(pong, 'the socket stays open');

  ws.sendRaw(' '.repeat(LIMIT + HEADROOM + 1));
  assert.equal((await ws.waitForClose(15_000)).code, 1009);
});
