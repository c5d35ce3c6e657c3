/**
 * The resume extension (docs/protocol.md): `join_chat {last_seq}` replays every chat event after
 * it (also the chunks of an answer still being generated), then continues live with no gap and
 * no duplicate; a last_seq older than the retention window asks the client to reload history.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '@miptech/testing/api-client.ts';
import { createScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin } from '@miptech/testing/ws-test-client.ts';

test('a socket that drops mid-answer resumes with last_seq and receives every chunk exactly once', async (t) => {
  const chunks = Array.from({ length: 30 }, (_, i) => ` c${i}`);
  const tp = await startTestPlatform({ overrides: { engine: createScriptedEngine({ chunks, delayMs: 15 }) } });
  t.after(() => tp.close());
  const token = await tp.mintToken({ sub: 'resumer' });
  const created = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: tp.tenantId, body: {} });
  const chatId = created.body.id;
  const first = (await connectAndJoin(tp.wsUrl(), { chatId, token })).ws;
  first.send({ type: 'user_message', data: { chat_id: chatId, text: 'stream please' } });
  await first.waitFor((frame) => frame.type === 'response_chunk' && frame.data.chunk_index === 5);
  await first.close();
  const lastSeq = Math.max(...first.frames.filter((frame) => typeof frame.seq === 'number').map((frame) => frame.seq!));

  const { ws: second, joined } = await connectAndJoin(tp.wsUrl(), { chatId, token, lastSeq });
  t.after(() => second.close());
  assert.equal(joined.data.resumed, true);
  assert.equal(joined.data.history_reload_required, undefined);
  assert.ok(joined.data.last_seq >= lastSeq);
  const answer = await second.collectAnswer();

  const events = [...first.frames, ...second.frames].filter((frame) => typeof frame.seq === 'number');
  const seqs = events.map((frame) => frame.seq!);
  assert.equal(new Set(seqs).size, seqs.length, 'no event delivered twice');
  const sorted = [...seqs].sort((a, b) => a - b);
  assert.deepEqual(seqs, sorted, 'in order');
  for (let i = 1; i < sorted.length; i += 1) assert.equal(sorted[i], sorted[i - 1]! + 1, 'no gap');
  const allChunks = events.filter((frame) => frame.type === 'response_chunk' && frame.data.message_id === answer.messageId);
  assert.equal(allChunks.map((frame) => frame.data.content).join(''), chunks.join(''));
  assert.equal(answer.complete.data.content, chunks.join(''));
});

test('a join without last_seq reports the current seq, and resuming from it loses nothing', async (t) => {
  const tp = await startTestPlatform();
  t.after(() => tp.close());
  const token = await tp.mintToken({ sub: 'seq-user' });
  const created = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: tp.tenantId, body: {} });
  const chatId = created.body.id;
  const { ws, joined } = await connectAndJoin(tp.wsUrl(), { chatId, token });
  assert.equal(joined.data.resumed, false);
  ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'one' } });
  const answer = await ws.collectAnswer();
  await ws.close();
  const { ws: again, joined: rejoined } = await connectAndJoin(tp.wsUrl(), { chatId, token });
  t.after(() => again.close());
  assert.equal(rejoined.data.last_seq, answer.complete.seq);
  const resumedAt = rejoined.data.last_seq as number;
  again.send({ type: 'user_message', data: { chat_id: chatId, text: 'two' } });
  await again.collectAnswer();
  const afterwards = again.frames.filter((frame) => typeof frame.seq === 'number');
  assert.equal(afterwards[0]!.seq, resumedAt + 1);
});

test('a last_seq outside the retention window: chat_joined says history_reload_required', async (t) => {
  const tp = await startTestPlatform();
  t.after(() => tp.close());
  const token = await tp.mintToken({ sub: 'old-client' });
  const created = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: tp.tenantId, body: {} });
  const chatId = created.body.id;
  const { ws } = await connectAndJoin(tp.wsUrl(), { chatId, token });
  ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'hello' } });
  await ws.collectAnswer();
  await ws.close();
  // A seq this node never issued (e.g. from before a restart) cannot be replayed.
  const { ws: stale, joined } = await connectAndJoin(tp.wsUrl(), { chatId, token, lastSeq: 1_000_000 });
  t.after(() => stale.close());
  assert.equal(joined.data.resumed, false);
  assert.equal(joined.data.history_reload_required, true);
});

test('seq keeps increasing across a restart', async (t) => {
  let tp = await startTestPlatform();
  t.after(() => tp.close());
  const token = await tp.mintToken({ sub: 'restart-seq' });
  const created = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: tp.tenantId, body: {} });
  const chatId = created.body.id;
  const first = (await connectAndJoin(tp.wsUrl(), { chatId, token })).ws;
  first.send({ type: 'user_message', data: { chat_id: chatId, text: 'before' } });
  const before = await first.collectAnswer();
  await first.close();
  tp = await tp.restart();
  const { ws, joined } = await connectAndJoin(tp.wsUrl(), { chatId, token, lastSeq: before.complete.seq! });
  t.after(() => ws.close());
  // The new process cannot know what the old one sent after its reserved block: reload history.
  assert.equal(joined.data.history_reload_required, true);
  ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'after' } });
  const after = await ws.collectAnswer();
  const firstNewSeq = ws.frames.find((frame) => frame.type === 'message_received')!.seq!;
  assert.ok(firstNewSeq > before.complete.seq!, `${firstNewSeq} > ${before.complete.seq}`);
  assert.ok(after.complete.seq! > firstNewSeq);
});
