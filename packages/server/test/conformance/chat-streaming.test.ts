/**
 * The answer stream (deployed-clients.md §3): message_received → processing → response_start →
 * response_chunk* → exactly one response_complete whose content equals the chunks; idempotent
 * resends, stop_generation, engine failures, several sockets on one chat, the REST message path
 * and the stored history.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '@miptech/testing/api-client.ts';
import { createScriptedEngine, manualGate } from '@miptech/testing/scripted-engine.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin, type ReceivedFrame, type WsTestClient } from '@miptech/testing/ws-test-client.ts';

let tp: TestPlatform;

before(async () => {
  tp = await startTestPlatform();
});
after(() => tp.close());

async function joinedSocket(platform: TestPlatform = tp, sub = `v-${crypto.randomUUID()}`): Promise<{ ws: WsTestClient; chatId: string; token: string }> {
  const token = await platform.mintToken({ sub });
  const res = await api(platform.url, 'POST', '/api/v1/chat', { token, tenantId: platform.tenantId, body: { session_id: crypto.randomUUID() } });
  assert.equal(res.status, 201);
  const { ws } = await connectAndJoin(platform.wsUrl(), { chatId: res.body.id, token });
  return { ws, chatId: res.body.id, token };
}

function typesOf(frames: ReceivedFrame[]): string[] {
  return frames.map((frame) => frame.type);
}

describe('answer stream', () => {
  test('frames come in order, with ids at the top level and in data; content equals the chunks', async (t) => {
    const { ws, chatId } = await joinedSocket();
    t.after(() => ws.close());
    ws.mark();
    ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'Hello there', client_message_id: 'c-1' } });
    const answer = await ws.collectAnswer();
    const frames = ws.all(() => true);
    const types = typesOf(frames).filter((type) => type !== 'ping');
    assert.deepEqual(types.slice(0, 3), ['message_received', 'processing', 'response_start']);
    assert.equal(types.at(-1), 'response_complete');
    assert.ok(types.slice(3, -1).every((type) => type === 'response_chunk'));
    assert.equal(frames.filter((f) => f.type === 'response_complete').length, 1);

    const received = frames[0]!;
    assert.equal(received.data.client_message_id, 'c-1');
    assert.equal(received.data.content, 'Hello there');
    const userMessageId = received.data.message_id;
    assert.equal(received.message_id, userMessageId);
    const processing = frames.find((f) => f.type === 'processing')!;
    assert.equal(processing.data.user_message_id, userMessageId);
    assert.equal(processing.data.message_id, answer.messageId);

    for (const frame of frames) {
      assert.equal(frame.chat_id, chatId, `${frame.type} top-level chat_id`);
      assert.equal(frame.data.chat_id, chatId, `${frame.type} data.chat_id`);
      assert.equal(frame.tenant_id, tp.tenantId);
      assert.equal(typeof frame.seq, 'number');
      if (frame.type !== 'message_received') assert.equal(frame.message_id, answer.messageId);
    }
    assert.deepEqual(answer.chunks.map((chunk) => chunk.data.chunk_index), answer.chunks.map((_, index) => index));
    const complete = answer.complete.data;
    assert.equal(complete.content, answer.text);
    assert.equal(complete.content, 'Hello from the scripted engine.');
    assert.equal(complete.role, 'assistant');
    assert.equal(complete.status, 'complete');
    assert.equal(complete.user_message_id, userMessageId);
    assert.deepEqual(complete.message, { id: answer.messageId, role: 'assistant', content: answer.text, created_at: complete.created_at });
    for (const field of ['prompt_tokens', 'completion_tokens', 'total_tokens', 'response_time_ms']) assert.equal(typeof complete[field], 'number', field);
    assert.equal(complete.total_tokens, complete.prompt_tokens + complete.completion_tokens);
    assert.equal(complete.llm_model, 'scripted-model');
    assert.ok(Array.isArray(complete.sources));

    const seqs = frames.map((frame) => frame.seq!);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.equal(new Set(seqs).size, seqs.length);
  });

  test('the user message is committed before message_received, the answer stored when complete', async (t) => {
    const { ws, chatId, token } = await joinedSocket();
    t.after(() => ws.close());
    ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'Store me' } });
    const received = await ws.waitFor('message_received');
    const stored = await tp.platform.services.store.messages.get(tp.tenantId, received.data.message_id);
    assert.equal(stored?.content, 'Store me');
    const answer = await ws.collectAnswer();
    const history = await api(tp.url, 'GET', `/api/v1/chat/${chatId}/messages`, { token, tenantId: tp.tenantId });
    assert.equal(history.status, 200);
    assert.deepEqual(
      history.body.items.map((m: { role: string; content: string; status: string }) => [m.role, m.content, m.status]),
      [
        ['user', 'Store me', 'complete'],
        ['assistant', answer.text, 'complete'],
      ],
    );
    assert.equal(history.body.has_more, false);
    assert.equal(history.body.items[1].id, answer.messageId);
  });

  test('a resend with the same client message id is acknowledged as duplicate without a second answer', async (t) => {
    const { ws, chatId } = await joinedSocket();
    t.after(() => ws.close());
    const frame = { type: 'user_message', data: { chat_id: chatId, text: 'Only once', client_message_id: 'dup-1' } };
    ws.send(frame);
    const first = await ws.collectAnswer();
    ws.mark();
    ws.send(frame);
    const again = await ws.waitFor('message_received');
    assert.equal(again.data.duplicate, true);
    assert.equal(again.data.message_id, ws.frames.find((f) => f.type === 'message_received')!.data.message_id);
    // A later message proves the socket moved on without a second answer to the first.
    ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'Next', client_message_id: 'dup-2' } });
    const next = await ws.collectAnswer({ messageId: undefined });
    const completes = ws.frames.filter((f) => f.type === 'response_complete');
    assert.equal(completes.length, 2);
    assert.notEqual(next.messageId, first.messageId);
    const stored = await tp.platform.services.store.messages.list(tp.tenantId, chatId, { limit: 50 });
    assert.equal(stored.items.filter((m) => m.content === 'Only once').length, 1);
  });

  test('a resend while the first answer is still streaming does not start a second answer', async (t) => {
    const gate = manualGate();
    const engine = createScriptedEngine({ gate: gate.promise });
    const own = await startTestPlatform({ overrides: { engine } });
    t.after(() => own.close());
    const { ws, chatId } = await joinedSocket(own);
    const frame = { type: 'user_message', data: { chat_id: chatId, text: 'Hold on', client_message_id: 'race-1' } };
    ws.send(frame);
    await ws.waitFor('response_start');
    ws.send(frame);
    await ws.waitFor((f) => f.type === 'message_received' && f.data.duplicate === true);
    gate.open();
    await ws.collectAnswer();
    assert.equal(engine.requests.length, 1);
    await ws.close();
  });

  test('stop_generation aborts the answer: stored as stopped, terminal response_complete still sent', async (t) => {
    const engine = createScriptedEngine({ chunks: Array.from({ length: 200 }, (_, i) => ` w${i}`), delayMs: 10 });
    const own = await startTestPlatform({ overrides: { engine } });
    t.after(() => own.close());
    const { ws, chatId } = await joinedSocket(own);
    ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'Talk a lot' } });
    await ws.waitFor((f) => f.type === 'response_chunk' && f.data.chunk_index === 2);
    ws.send({ type: 'stop_generation', data: { chat_id: chatId } });
    const answer = await ws.collectAnswer();
    assert.equal(answer.complete.data.status, 'stopped');
    assert.equal(answer.complete.data.content, answer.text);
    assert.ok(answer.chunks.length < 200);
    const stored = await own.platform.services.store.messages.get(own.tenantId, answer.messageId);
    assert.equal(stored?.status, 'stopped');
    assert.equal(stored?.content, answer.text);
    await ws.close();
  });

  test('an engine failure sends an error frame and a terminal response_complete with the partial text', async (t) => {
    const engine = createScriptedEngine({ chunks: ['Partial', ' answer', ' never', ' finished'], failAfter: 2, failWith: 'ai_unavailable' });
    const own = await startTestPlatform({ overrides: { engine } });
    t.after(() => own.close());
    const { ws, chatId } = await joinedSocket(own);
    ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'Break please' } });
    const answer = await ws.collectAnswer();
    const error = ws.frames.find((f) => f.type === 'error')!;
    assert.equal(error.data.code, 'ai_unavailable');
    assert.equal(error.data.message_id, answer.messageId);
    assert.equal(error.data.chat_id, chatId);
    assert.equal(error.message_id, answer.messageId);
    assert.ok(ws.frames.indexOf(error) < ws.frames.indexOf(answer.complete));
    assert.equal(answer.complete.data.status, 'error');
    assert.equal(answer.complete.data.content, 'Partial answer');
    assert.equal(answer.text, 'Partial answer');
    const stored = await own.platform.services.store.messages.get(own.tenantId, answer.messageId);
    assert.equal(stored?.status, 'error');
    assert.equal(stored?.content, 'Partial answer');
    await ws.close();
  });

  test('an unexpected engine crash (not an AppError) ends as generation_failed', async (t) => {
    const own = await startTestPlatform({
      overrides: {
        engine: {
          name: 'crashing',
          // eslint-disable-next-line require-yield
          async *stream() {
            throw new TypeError('boom');
          },
        },
      },
    });
    t.after(() => own.close());
    const { ws, chatId } = await joinedSocket(own);
    ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'Crash' } });
    const answer = await ws.collectAnswer();
    assert.equal(ws.frames.find((f) => f.type === 'error')?.data.code, 'generation_failed');
    assert.equal(answer.complete.data.status, 'error');
    await ws.close();
  });

  test('every socket joined to the chat receives its events', async (t) => {
    const { ws: first, chatId, token } = await joinedSocket();
    const { ws: second } = await connectAndJoin(tp.wsUrl(), { chatId, token });
    t.after(async () => {
      await first.close();
      await second.close();
    });
    first.send({ type: 'user_message', data: { chat_id: chatId, text: 'Broadcast' } });
    const a = await first.collectAnswer();
    const b = await second.collectAnswer();
    assert.equal(a.messageId, b.messageId);
    assert.equal(b.text, a.text);
    assert.equal(second.all('message_received').length, 1);
  });

  test('messages without a chat id go to the connection’s chat', async (t) => {
    const { ws, chatId } = await joinedSocket();
    t.after(() => ws.close());
    ws.send({ type: 'user_message', data: { text: 'No chat id here' } });
    const received = await ws.waitFor('message_received');
    assert.equal(received.chat_id, chatId);
    await ws.collectAnswer();
  });

  test('a message for another chat id is refused with an error frame; the socket stays open', async (t) => {
    const { ws } = await joinedSocket();
    t.after(() => ws.close());
    ws.send({ type: 'user_message', data: { chat_id: 'chat_someone_else', text: 'Sneaky' } });
    assert.equal((await ws.waitFor('error')).data.code, 'chat_access_denied');
    assert.equal(ws.socket.readyState, ws.socket.OPEN);
  });

  test('retrieval and history reach the engine', async (t) => {
    const engine = createScriptedEngine();
    const own = await startTestPlatform({ overrides: { engine } });
    t.after(() => own.close());
    const { ws, chatId } = await joinedSocket(own);
    ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'First question' } });
    await ws.collectAnswer();
    ws.mark();
    ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'Second question' } });
    await ws.collectAnswer();
    const request = engine.requests.at(-1)!;
    assert.equal(request.question, 'Second question');
    assert.equal(request.tenant.id, own.tenantId);
    assert.deepEqual(request.history, [
      { role: 'user', content: 'First question' },
      { role: 'assistant', content: 'Hello from the scripted engine.' },
    ]);
    await ws.close();
  });
});

describe('REST messages (guide-era widget)', () => {
  test('POST /api/v1/chat/:id/messages runs the same flow; the answer streams to the chat’s sockets', async (t) => {
    const { ws, chatId, token } = await joinedSocket();
    t.after(() => ws.close());
    const res = await api(tp.url, 'POST', `/api/v1/chat/${chatId}/messages`, { token, tenantId: tp.tenantId, body: { content: 'Via REST', role: 'user' } });
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.role, 'user');
    assert.equal(res.body.content, 'Via REST');
    const received = await ws.waitFor('message_received');
    assert.equal(received.data.message_id, res.body.id);
    const answer = await ws.collectAnswer();
    assert.equal(answer.complete.data.user_message_id, res.body.id);
  });

  test('validation: missing content → 422; role other than user → 422', async () => {
    const { ws, chatId, token } = await joinedSocket();
    await ws.close();
    for (const body of [{ role: 'user' }, { content: 'x', role: 'assistant' }, { content: '   ' }]) {
      const res = await api(tp.url, 'POST', `/api/v1/chat/${chatId}/messages`, { token, tenantId: tp.tenantId, body });
      assert.equal(res.status, 422, JSON.stringify(body));
      assert.equal(res.body.code, 'validation_error');
    }
  });

  test('history pages backwards with limit and before (has_more, next_cursor)', async () => {
    const token = await tp.mintToken({ sub: 'pager' });
    const chat = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: tp.tenantId, body: {} });
    const chatId = chat.body.id;
    const { ws } = await connectAndJoin(tp.wsUrl(), { chatId, token });
    for (let i = 1; i <= 3; i += 1) {
      ws.mark();
      ws.send({ type: 'user_message', data: { chat_id: chatId, text: `q${i}` } });
      await ws.collectAnswer();
    }
    await ws.close();
    const seen: string[] = [];
    let before: string | null = null;
    for (let page = 0; page < 10; page += 1) {
      const query: string = before ? `?limit=4&before=${before}` : '?limit=4';
      const res = await api(tp.url, 'GET', `/api/v1/chat/${chatId}/messages${query}`, { token, tenantId: tp.tenantId });
      assert.equal(res.status, 200);
      seen.unshift(...res.body.items.map((m: { content: string }) => m.content));
      if (!res.body.has_more) {
        assert.equal(res.body.next_cursor, null);
        break;
      }
      before = res.body.next_cursor;
    }
    const answer = 'Hello from the scripted engine.';
    assert.deepEqual(seen, ['q1', answer, 'q2', answer, 'q3', answer]);
  });
});
