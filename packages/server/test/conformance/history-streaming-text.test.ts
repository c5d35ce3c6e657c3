/**
 * History of a chat whose answer is still streaming (issue #15, item 9): the streaming assistant
 * message carries the text already sent (rebuilt from the chat's event log) and the index of the
 * next chunk, so a page reloaded mid-answer shows it at once and continues with the live chunks.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '@miptech/testing/api-client.ts';
import { createScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin } from '@miptech/testing/ws-test-client.ts';

const CHUNKS = ['One ', 'two ', 'three ', 'four ', 'five ', 'six ', 'seven ', 'eight.'];

test('a streaming answer in history carries the text sent so far and next_chunk_index', async (t) => {
  const tp = await startTestPlatform({ overrides: { engine: createScriptedEngine({ chunks: CHUNKS, delayMs: 150 }) } });
  t.after(() => tp.close());
  const token = await tp.mintToken({ sub: 'reloading-visitor' });
  const { ws, joined } = await connectAndJoin(tp.wsUrl(), { token, create: true });
  t.after(() => ws.close());
  const chatId = joined.data.chat_id as string;
  ws.send({ type: 'user_message', data: { text: 'Count, please', client_message_id: 'q1' } });
  // Three chunks sent, the answer goes on.
  await ws.waitFor((frame) => frame.type === 'response_chunk' && frame.data.chunk_index === 2, 10_000);

  const history = await api(tp.url, 'GET', `/api/v1/chat/${chatId}/messages`, { token, tenantId: tp.tenantId });
  assert.equal(history.status, 200);
  const answer = (history.body.items as Array<Record<string, unknown>>).find((item) => item.role === 'assistant');
  assert.ok(answer, 'the answer is in history');
  assert.equal(answer.status, 'streaming');
  const next = answer.next_chunk_index as number;
  assert.ok(Number.isInteger(next) && next >= 3 && next < CHUNKS.length, `next_chunk_index ${String(next)}`);
  assert.equal(answer.content, CHUNKS.slice(0, next).join(''), 'the text of exactly the chunks before it');

  await ws.waitFor('response_complete', 10_000);
  const after = await api(tp.url, 'GET', `/api/v1/chat/${chatId}/messages`, { token, tenantId: tp.tenantId });
  const stored = (after.body.items as Array<Record<string, unknown>>).find((item) => item.role === 'assistant')!;
  assert.equal(stored.status, 'complete');
  assert.equal(stored.content, CHUNKS.join(''));
  assert.equal('next_chunk_index' in stored, false, 'only streaming messages carry it');
});
