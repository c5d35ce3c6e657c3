/**
 * A client that stops reading is closed (1013, try again later) once WS_MAX_BUFFERED_BYTES of
 * frames are queued for it unsent, instead of the server queueing the whole answer in memory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin } from '@miptech/testing/ws-test-client.ts';
import { waitFor } from '@miptech/testing/wait-for.ts';

test('a paused reader is closed with 1013 once WS_MAX_BUFFERED_BYTES are queued, not sent the whole answer', async (t) => {
  // A 7 MiB answer: more than the loopback socket buffers hold (about 4 MiB here), less than they and the old 8 MiB bound together.
  const chunk = 'a'.repeat(16 * 1024);
  const engine = createScriptedEngine({ chunks: Array.from({ length: 448 }, () => chunk) });
  const tp = await startTestPlatform({ env: { WS_MAX_BUFFERED_BYTES: String(256 * 1024) }, overrides: { engine } });
  t.after(() => tp.close());
  const token = await tp.mintToken();
  const { ws, joined } = await connectAndJoin(tp.wsUrl(), { create: true, token });
  t.after(() => ws.close());

  ws.socket.pause();
  ws.send({ type: 'user_message', data: { chat_id: joined.data.chat_id, text: 'tell me everything' } });
  // Wait until the whole answer has been produced (and, before the bound, queued for the socket).
  const chatId = joined.data.chat_id as string;
  await waitFor(
    'the answer to be stored',
    async () => {
      const { items } = await tp.platform.services.store.messages.list(tp.tenantId, chatId, { limit: 10 });
      return items.some((message) => message.role === 'assistant' && message.status !== 'streaming') ? true : null;
    },
    30_000,
  );
  ws.socket.resume();
  const closed = await ws.waitForClose(40_000);
  assert.equal(closed.code, 1013);
  const received = ws.all('response_chunk').length;
  assert.equal(ws.all('response_complete').length, 0, `the whole answer was not queued (${received} of 448 chunks arrived)`);
  assert.ok(received < 448, `${received} of 448 chunks`);
});
