/**
 * A stop_generation that arrives after `message_received` but before the answer runs (its assistant
 * row is still being inserted) stops that answer: it ends as `stopped` with no content and one
 * terminal response_complete, and is stored so. The stop does not outlive the answers it found: a
 * message sent after it is answered in full. A stop naming another message leaves the answer be.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holdNextAnswerStart } from '@miptech/testing/hold-answer-start.ts';
import { createScriptedEngine, type ScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin, type ReceivedFrame, type WsTestClient } from '@miptech/testing/ws-test-client.ts';

const CHUNKS = ['One', ' two', ' three.'];

/** Resolves once every frame sent before it was handled (frames of a socket are handled in order). */
async function fence(ws: WsTestClient, ts: number): Promise<void> {
  ws.send({ type: 'ping', data: { ts } });
  await ws.waitFor((frame) => frame.type === 'pong' && frame.data.ts === ts);
}

const endsOf = (ws: WsTestClient, messageId: string) =>
  ws.frames.filter((frame: ReceivedFrame) => frame.type === 'response_complete' && frame.data.message_id === messageId);

async function platformWithChat(t: { after(fn: () => unknown): void }) {
  const engine: ScriptedEngine = createScriptedEngine({ chunks: CHUNKS });
  const tp = await startTestPlatform({ overrides: { engine } });
  t.after(() => tp.close());
  const token = await tp.mintToken();
  const { ws, joined } = await connectAndJoin(tp.wsUrl(), { token, create: true });
  t.after(() => ws.close());
  return { tp, engine, ws, chatId: String(joined.data.chat_id) };
}

for (const named of [false, true]) {
  test(`a stop${named ? ' naming the user message' : ''} sent before the answer started ends it as stopped, once`, async (t) => {
    const { tp, engine, ws, chatId } = await platformWithChat(t);
    const held = holdNextAnswerStart(tp.platform);
    ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'Hello?', client_message_id: 'c-1' } });
    const received = await ws.waitFor('message_received');
    await held.entered;
    const userMessageId = String(received.data.message_id);
    ws.send({ type: 'stop_generation', data: { chat_id: chatId, ...(named ? { message_id: userMessageId } : {}) } });
    await fence(ws, 1);
    held.release();

    const answer = await ws.collectAnswer({ timeoutMs: 10_000 });
    assert.equal(answer.complete.data.status, 'stopped');
    assert.equal(answer.complete.data.user_message_id, userMessageId);
    assert.equal(answer.complete.data.content, '');
    assert.equal(answer.text, '');
    const ofAnswer = ws.frames.filter((frame) => frame.data?.message_id === answer.messageId).map((frame) => frame.type);
    assert.deepEqual(ofAnswer, ['processing', 'response_start', 'response_complete'], 'the usual frames of an answer, no chunk');
    assert.equal(engine.requests.at(-1)?.signal.aborted, true, 'the engine got an aborted request');
    const stored = await tp.platform.services.store.messages.get(tp.tenantId, answer.messageId);
    assert.equal(stored?.status, 'stopped');
    assert.equal(stored?.content, '');

    // The stop is used up: the next message is answered in full, and the stopped answer ended once.
    ws.mark();
    ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'Again', client_message_id: 'c-2' } });
    const next = await ws.collectAnswer({ timeoutMs: 10_000 });
    assert.equal(next.complete.data.status, 'complete');
    assert.equal(next.complete.data.content, CHUNKS.join(''));
    assert.equal(endsOf(ws, answer.messageId).length, 1);
  });
}

test('a stop naming another message, sent before the answer started, leaves the answer be', async (t) => {
  const { tp, ws, chatId } = await platformWithChat(t);
  const held = holdNextAnswerStart(tp.platform);
  ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'Hello?', client_message_id: 'c-1' } });
  await ws.waitFor('message_received');
  await held.entered;
  ws.send({ type: 'stop_generation', data: { chat_id: chatId, message_id: 'msg_not_this_one' } });
  await fence(ws, 1);
  held.release();
  const answer = await ws.collectAnswer({ timeoutMs: 10_000 });
  assert.equal(answer.complete.data.status, 'complete');
  assert.equal(answer.complete.data.content, CHUNKS.join(''));
});

test('a stop sent before the message does not stop its answer', async (t) => {
  const { ws, chatId } = await platformWithChat(t);
  ws.send({ type: 'stop_generation', data: { chat_id: chatId } });
  ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'Hello?', client_message_id: 'c-1' } });
  const answer = await ws.collectAnswer({ timeoutMs: 10_000 });
  assert.equal(answer.complete.data.status, 'complete');
  assert.equal(answer.complete.data.content, CHUNKS.join(''));
});
