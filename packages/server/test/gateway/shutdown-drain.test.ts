/**
 * Graceful shutdown waits for answers that are still being started (their user message is
 * committed and acknowledged, their assistant row not inserted yet) and stores them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin } from '@miptech/testing/ws-test-client.ts';
import type { MessageRepository } from '../../src/store/store.ts';

test('a shutdown while an answer is being started lets it start, finish and be stored', async (t) => {
  let tp: TestPlatform = await startTestPlatform({ overrides: { engine: createScriptedEngine({ chunks: ['Started ', 'late.'] }) } });
  t.after(() => tp.close());
  // A slow insert of the assistant row (a busy database): the answer is "being started" meanwhile.
  const messages: MessageRepository = tp.platform.services.store.messages;
  const startAssistant = messages.startAssistant.bind(messages);
  messages.startAssistant = async (...args) => {
    await new Promise((resolve) => setTimeout(resolve, 500));
    return startAssistant(...args);
  };
  const token = await tp.mintToken({ sub: 'late-starter' });
  const { ws, joined } = await connectAndJoin(tp.wsUrl(), { token, create: true });
  const chatId = String(joined.data.chat_id);
  ws.send({ type: 'user_message', data: { text: 'hello', client_message_id: 'c-1' } });
  await ws.waitFor('message_received');

  // Shut down (the answer has a grace period to finish) and read what was stored on the same data.
  tp = await tp.restart({ graceMs: 5000 });
  assert.equal((await ws.waitForClose()).code, 1001);
  const { items } = await tp.platform.services.store.messages.list(tp.tenantId, chatId, { limit: 10 });
  const answer = items.find((message) => message.role === 'assistant');
  assert.equal(answer?.status, 'complete');
  assert.equal(answer?.content, 'Started late.');
});

test('an answer still being started when the grace period ends is ended as interrupted, not generated afterwards', async (t) => {
  let tp: TestPlatform = await startTestPlatform({ overrides: { engine: createScriptedEngine({ chunks: ['Too ', 'late.'] }) } });
  t.after(() => tp.close());
  // The assistant row's insert outlasts the grace period.
  const messages: MessageRepository = tp.platform.services.store.messages;
  const startAssistant = messages.startAssistant.bind(messages);
  messages.startAssistant = async (...args) => {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    return startAssistant(...args);
  };
  const token = await tp.mintToken({ sub: 'too-late-starter' });
  const { ws, joined } = await connectAndJoin(tp.wsUrl(), { token, create: true });
  const chatId = String(joined.data.chat_id);
  ws.send({ type: 'user_message', data: { text: 'hello', client_message_id: 'c-1' } });
  await ws.waitFor('message_received');

  tp = await tp.restart({ graceMs: 200 });
  assert.equal((await ws.waitForClose()).code, 1001);
  const { items } = await tp.platform.services.store.messages.list(tp.tenantId, chatId, { limit: 10 });
  const answer = items.find((message) => message.role === 'assistant');
  assert.equal(answer?.status, 'interrupted');
  assert.equal(answer?.content, '');
});
