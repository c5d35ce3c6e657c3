/**
 * A guide client (join without `last_seq`) gets exactly one response_complete per answer, also when
 * the answer's end is sent live right after its join's catch-up. On one node the row is stored
 * before the end is published: a join in between reads the answer as ended and not yet delivered,
 * gets the catch-up, and the live end that follows must not reach it a second time.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatEventLog } from '../../src/backend/events/chat-event-log.ts';
import type { AnswerEngine, AnswerPart, AnswerRequest } from '../../src/engines/answer-engine.ts';
import { manualGate } from '@miptech/testing/scripted-engine.ts';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin, type WsTestClient } from '@miptech/testing/ws-test-client.ts';
import { waitFor } from '@miptech/testing/wait-for.ts';

/** One part, then the rest once the test opens `gate`. */
function heldEngine(gate: Promise<void>): AnswerEngine {
  return {
    name: 'held',
    async *stream(request: AnswerRequest): AsyncIterable<AnswerPart> {
      yield { type: 'text', text: 'Part one.' };
      await Promise.race([gate, new Promise((resolve) => request.signal.addEventListener('abort', resolve, { once: true }))]);
      if (request.signal.aborted) return;
      yield { type: 'text', text: ' Part two.' };
    },
  };
}

/** Holds the publication of `messageId`'s response_complete until `release`; `published` once it went out. */
function holdEndPublication(log: ChatEventLog, messageId: string) {
  const original = log.append;
  const gate = manualGate();
  const published = manualGate();
  log.append = async (event) => {
    if (event.type !== 'response_complete' || event.messageId !== messageId) return original.call(log, event);
    log.append = original;
    await gate.promise;
    const appended = await original.call(log, event);
    published.open();
    return appended;
  };
  return { release: gate.open, published: published.promise };
}

async function fence(ws: WsTestClient, ts: number): Promise<void> {
  ws.send({ type: 'ping', data: { ts } });
  await ws.waitFor((frame) => frame.type === 'pong' && frame.data.ts === ts);
}

test('a join that got the catch-up of an answer is not sent its live end again', async (t) => {
  const engineGate = manualGate();
  const tp = await startTestPlatform({ overrides: { engine: heldEngine(engineGate.promise) } });
  t.after(() => tp.close());
  const token = await tp.mintToken();
  const first = await connectAndJoin(tp.wsUrl(), { token, create: true });
  const chatId = String(first.joined.data.chat_id);
  first.ws.send({ type: 'user_message', data: { text: 'a question', client_message_id: 'c-1' } });
  const messageId = String((await first.ws.waitFor('response_chunk', 10_000)).data.message_id);
  await first.ws.close();
  await waitFor('the node to drop the socket', () => tp.platform.gateway.connectionCount === 0);

  const held = holdEndPublication(tp.platform.services.eventLog, messageId);
  engineGate.open();
  await waitFor('the answer to be stored', async () => {
    const row = await tp.platform.services.store.messages.get(tp.tenantId, messageId);
    return row && row.status !== 'streaming' ? row : null;
  });

  const { ws } = await connectAndJoin(tp.wsUrl(), { token, chatId });
  t.after(() => ws.close());
  const catchUp = await ws.waitFor('response_complete', 10_000);
  assert.equal(catchUp.data.catch_up, true);
  assert.equal(catchUp.data.message_id, messageId);
  assert.equal(catchUp.data.content, 'Part one. Part two.');

  held.release();
  await held.published;
  await fence(ws, 1);
  const ends = ws.frames.filter((frame) => frame.type === 'response_complete' && frame.data.message_id === messageId);
  assert.equal(ends.length, 1, 'the live end after the catch-up is not sent again');

  // The socket goes on with the chat as usual.
  ws.mark();
  ws.send({ type: 'user_message', data: { text: 'another', client_message_id: 'c-2' } });
  const next = await ws.collectAnswer({ timeoutMs: 10_000 });
  assert.equal(next.complete.data.status, 'complete');
  assert.equal(next.complete.data.catch_up, undefined);
});
