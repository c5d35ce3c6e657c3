/**
 * An answer that cannot even be started (the database refuses its row) still ends for the
 * clients, and resending the message (same client id) starts it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AppError } from '../../src/base/errors.ts';
import type { MessageRepository } from '../../src/store/store.ts';
import { createScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin } from '@miptech/testing/ws-test-client.ts';

test('a failure to start the answer ends with error and a terminal response_complete; the resend is answered', async (t) => {
  const tp = await startTestPlatform({ overrides: { engine: createScriptedEngine({ chunks: ['Second ', 'try.'] }) } });
  t.after(() => tp.close());
  const messages: MessageRepository = tp.platform.services.store.messages;
  const startAssistant = messages.startAssistant.bind(messages);
  let failures = 1;
  messages.startAssistant = async (...args) => {
    if (failures > 0) {
      failures -= 1;
      throw new AppError('db_not_ready');
    }
    return startAssistant(...args);
  };
  const token = await tp.mintToken({ sub: 'unlucky' });
  const { ws } = await connectAndJoin(tp.wsUrl(), { token, create: true });
  t.after(() => ws.close());

  ws.mark();
  ws.send({ type: 'user_message', data: { text: 'hello?', client_message_id: 'c-1' } });
  const received = await ws.waitFor('message_received');
  const failed = await ws.collectAnswer();
  const error = ws.all('error')[0];
  assert.equal(error?.data.code, 'db_not_ready');
  assert.equal(error?.data.retryable, true);
  assert.equal(error?.data.client_message_id, 'c-1');
  assert.equal(error?.data.user_message_id, received.data.message_id);
  assert.equal(failed.complete.data.status, 'error');
  assert.equal(failed.complete.data.error_code, 'db_not_ready');
  assert.equal(failed.complete.data.user_message_id, received.data.message_id);
  assert.equal(failed.complete.data.content, '');

  ws.mark();
  ws.send({ type: 'user_message', data: { text: 'hello?', client_message_id: 'c-1' } });
  assert.equal((await ws.waitFor('message_received')).data.duplicate, true);
  const answer = await ws.collectAnswer();
  assert.equal(answer.complete.data.status, 'complete');
  assert.equal(answer.text, 'Second try.');
});

test('the database going away while an answer is prepared ends it as db_not_ready with retry_after, not generation_failed', async (t) => {
  const tp = await startTestPlatform({ overrides: { engine: createScriptedEngine({ chunks: ['Never ', 'sent.'] }) } });
  t.after(() => tp.close());
  const messages: MessageRepository = tp.platform.services.store.messages;
  const recentTurns = messages.recentTurns.bind(messages);
  let failures = 1;
  messages.recentTurns = async (...args) => {
    if (failures > 0) {
      failures -= 1;
      // What the pg driver throws when the server refuses connections: a raw error with a code.
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    }
    return recentTurns(...args);
  };
  const token = await tp.mintToken({ sub: 'outage-mid-answer' });
  const { ws } = await connectAndJoin(tp.wsUrl(), { token, create: true });
  t.after(() => ws.close());

  ws.mark();
  ws.send({ type: 'user_message', data: { text: 'anyone there?', client_message_id: 'c-2' } });
  await ws.waitFor('message_received');
  const failed = await ws.collectAnswer();
  const error = ws.all('error')[0];
  assert.equal(error?.data.code, 'db_not_ready');
  assert.equal(error?.data.retryable, true);
  assert.equal(typeof error?.data.retry_after, 'number');
  assert.equal(failed.complete.data.status, 'error');
  assert.equal(failed.complete.data.error_code, 'db_not_ready');
});
