/**
 * With the shared (Redis) event log an answer's end is published just before its row is stored.
 * A client of that node that reads the history, or sends its next message, the moment it gets
 * response_complete must still find the answer stored.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '@miptech/testing/api-client.ts';
import { createScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin } from '@miptech/testing/ws-test-client.ts';
import type { MessageRepository } from '../../src/store/store.ts';
import { deleteKeys, REDIS_SKIP_REASON, testRedisUrl, uniquePrefix } from './helpers/test-redis.ts';

const redisUrl = testRedisUrl();
const STORE_DELAY_MS = 300;

describe('an answer read right after its end (Redis event log)', { skip: redisUrl === null ? REDIS_SKIP_REASON : false }, () => {
  const prefix = uniquePrefix('stored-on-end');
  const engine = createScriptedEngine({ chunks: (request) => ['Re: ', request.question] });
  let tp: TestPlatform;

  before(async () => {
    tp = await startTestPlatform({ env: { REDIS_URL: redisUrl ?? '', REDIS_KEY_PREFIX: prefix }, overrides: { engine } });
    // A slow database write: the end is out long before the row is stored.
    const messages: MessageRepository = tp.platform.services.store.messages;
    const finish = messages.finishAssistant.bind(messages);
    messages.finishAssistant = async (...args) => {
      await new Promise((resolve) => setTimeout(resolve, STORE_DELAY_MS));
      return finish(...args);
    };
  });
  after(async () => {
    await tp?.close();
    await deleteKeys(redisUrl ?? '', prefix);
  });

  test('the history read on response_complete has the answer, and so has the next answer’s context', async (t) => {
    const token = await tp.mintToken({ sub: 'reader' });
    const { ws, joined } = await connectAndJoin(tp.wsUrl(), { token, create: true });
    t.after(() => ws.close());
    const chatId = String(joined.data.chat_id);

    ws.mark();
    ws.send({ type: 'user_message', data: { text: 'first question', client_message_id: 'c-1' } });
    const first = await ws.collectAnswer({ timeoutMs: 10_000 });
    const history = await api(tp.url, 'GET', `/api/v1/chat/${chatId}/messages`, { token, tenantId: tp.tenantId });
    const stored = history.body.items.find((message: { id: string }) => message.id === first.messageId);
    assert.equal(stored?.status, 'complete');
    assert.equal(stored?.content, 'Re: first question');

    ws.mark();
    ws.send({ type: 'user_message', data: { text: 'second question', client_message_id: 'c-2' } });
    await ws.collectAnswer({ timeoutMs: 10_000 });
    const context = engine.requests.at(-1)?.history ?? [];
    assert.deepEqual(context.at(-1), { role: 'assistant', content: 'Re: first question' }, 'the first answer is in the second one’s history');
  });
});
