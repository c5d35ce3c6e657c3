/**
 * A client of the guide (no `last_seq`) that was shown an answer streaming when its single node
 * restarted still gets that answer's end: after rejoining, the stored answer's response_complete
 * (`catch_up: true`) follows chat_joined. A client that could have seen the end gets nothing extra.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '@miptech/testing/api-client.ts';
import { createScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin, type WsTestClient } from '@miptech/testing/ws-test-client.ts';

const CHUNKS = Array.from({ length: 12 }, (_, i) => ` part${i}`);

/** Frames after chat_joined up to the pong of a ping sent after the join (frames are in order). */
async function framesAfterJoin(ws: WsTestClient): Promise<string[]> {
  ws.send({ type: 'ping', data: { ts: 4242 } });
  await ws.waitFor((frame) => frame.type === 'pong' && frame.data.ts === 4242);
  const joinedAt = ws.frames.findIndex((frame) => frame.type === 'chat_joined');
  return ws.frames.slice(joinedAt + 1).map((frame) => frame.type).filter((type) => type !== 'ping' && type !== 'pong');
}

test('single node restarted mid-answer: a rejoin without last_seq gets the stored response_complete of the answer it was waiting for, once', async (t) => {
  let tp: TestPlatform = await startTestPlatform({ overrides: { engine: createScriptedEngine({ chunks: CHUNKS, delayMs: 30 }) } });
  t.after(() => tp.close());
  const token = await tp.mintToken({ sub: 'guide-restart' });
  const created = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: tp.tenantId, body: { session_id: crypto.randomUUID() } });
  const chatId = created.body.id as string;
  const { ws } = await connectAndJoin(tp.wsUrl({ chat_id: chatId }), { chatId, token });
  ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'a long story please' } });
  const chunk = await ws.waitFor('response_chunk');
  const messageId = chunk.data.message_id as string;

  const restarting = tp.restart({ graceMs: 5000 });
  assert.equal((await ws.waitForClose()).code, 1001);
  assert.equal(ws.all('response_complete').length, 0, 'the end was not seen before the 1001');
  tp = await restarting;

  const { ws: rejoined, joined } = await connectAndJoin(tp.wsUrl({ chat_id: chatId }), { chatId, token });
  t.after(() => rejoined.close());
  const complete = await rejoined.waitFor('response_complete');
  assert.ok(rejoined.frames.indexOf(complete) > rejoined.frames.indexOf(joined), 'after chat_joined');
  assert.equal(complete.message_id, messageId);
  assert.equal(complete.chat_id, chatId);
  assert.equal(complete.data.message_id, messageId);
  assert.equal(complete.data.content, CHUNKS.join(''));
  assert.equal(complete.data.status, 'complete');
  assert.equal(complete.data.role, 'assistant');
  assert.equal(complete.data.catch_up, true);
  assert.equal(complete.data.message.content, CHUNKS.join(''));
  const stored = await tp.platform.services.store.messages.get(tp.tenantId, messageId);
  assert.equal(stored?.content, complete.data.content);
  assert.deepEqual(await framesAfterJoin(rejoined), ['response_complete']);
  await rejoined.close();

  // That client has now seen the end: its next rejoin on this node gets nothing extra.
  const { ws: again } = await connectAndJoin(tp.wsUrl({ chat_id: chatId }), { chatId, token });
  t.after(() => again.close());
  assert.deepEqual(await framesAfterJoin(again), []);
});

test('no catch-up when the client saw the end live, for a new chat, or for a resume with last_seq', async (t) => {
  const tp = await startTestPlatform();
  t.after(() => tp.close());
  const token = await tp.mintToken({ sub: 'guide-live' });
  const { ws, joined } = await connectAndJoin(tp.wsUrl(), { token, create: true });
  const chatId = joined.data.chat_id as string;
  assert.deepEqual(await framesAfterJoin(ws), [], 'a created chat');
  ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'hello' } });
  const answer = await ws.collectAnswer();
  await ws.close();

  const { ws: rejoined } = await connectAndJoin(tp.wsUrl(), { chatId, token });
  t.after(() => rejoined.close());
  assert.deepEqual(await framesAfterJoin(rejoined), [], 'the end was delivered before the socket left');

  const { ws: resumed } = await connectAndJoin(tp.wsUrl(), { chatId, token, lastSeq: answer.complete.seq! });
  t.after(() => resumed.close());
  assert.deepEqual(await framesAfterJoin(resumed), [], 'a resume with last_seq gets the replay only');
});
