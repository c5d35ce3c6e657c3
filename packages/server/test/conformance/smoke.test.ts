import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform } from '../support/test-platform.ts';
import { api } from '../support/api-client.ts';
import { connectAndJoin } from '../support/ws-test-client.ts';

test('smoke: create chat over REST, join over WS, get an answer', async (t) => {
  const tp = await startTestPlatform();
  t.after(() => tp.close());
  const token = await tp.mintToken({ sub: 'alice' });
  const created = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: tp.tenantId, body: { session_id: 's1', title: 'x' } });
  assert.equal(created.status, 201, created.text);
  const { ws } = await connectAndJoin(tp.wsUrl(), { chatId: created.body.id, token });
  ws.send({ type: 'user_message', data: { chat_id: created.body.id, text: 'hello' } });
  const answer = await ws.collectAnswer();
  assert.equal(answer.text, answer.complete.data.content);
  console.log(ws.frames.map((f) => JSON.stringify(f)).join('\n'));
  await ws.close();
});
