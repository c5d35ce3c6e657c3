/**
 * Chat events are typed per frame type (ChatEvent is discriminated by `type`), every
 * response_complete is built by chat/answer-end.ts, and close codes are used by name. The
 * `@ts-expect-error` lines are checked by `npm run typecheck`: each must be a compile error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChatEvent, NewChatEvent } from '../../src/backend/events/chat-event-log.ts';
import { catchUpData, responseCompleteData, type AnswerOutcome } from '../../src/chat/answer-end.ts';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Source lines without comments, with their file (relative to src/) and line number. */
function codeLines(): Array<{ file: string; line: number; text: string }> {
  return sources(SRC).flatMap((path) =>
    readFileSync(path, 'utf8')
      .split('\n')
      .map((text, index) => ({ file: relative(SRC, path), line: index + 1, text: text.replace(/\/\/.*$/, '') }))
      .filter(({ text }) => !/^\s*(\*|\/\*\*)/.test(text)),
  );
}

const ids = { tenantId: 't1', chatId: 'c1', messageId: 'm1' };

test('the data of a chat event is typed by its type', () => {
  const chunk: NewChatEvent = { ...ids, type: 'response_chunk', data: { message_id: 'm1', chat_id: 'c1', content: 'Hi', chunk_index: 0 } };
  // @ts-expect-error a response_chunk without chat_id and chunk_index
  const partial: NewChatEvent = { ...ids, type: 'response_chunk', data: { message_id: 'm1', content: 'Hi' } };
  // @ts-expect-error the data of a processing event under response_complete
  const mismatched: NewChatEvent = { ...ids, type: 'response_complete', data: { message_id: 'm1', user_message_id: 'u1', chat_id: 'c1' } };
  // @ts-expect-error ping is not a chat event (it has no seq and goes to one socket)
  const notAChatEvent: NewChatEvent = { ...ids, type: 'ping', data: { ts: 1 } };

  const describe = (event: ChatEvent): string => {
    // Checking the type narrows the data: no casts.
    if (event.type === 'response_chunk') return `chunk ${event.data.chunk_index}`;
    if (event.type === 'error') return `error ${event.data.code}`;
    // @ts-expect-error only a response_chunk has chunk_index
    return `other ${event.data.chunk_index}`;
  };
  assert.equal(describe({ ...chunk, seq: 1 }), 'chunk 0');
  // Nothing checks at run time: the log carries what it is given, which is why the types must refuse these.
  assert.deepEqual([partial.type, mismatched.type, notAChatEvent.type], ['response_chunk', 'response_complete', 'ping']);
});

test('response_complete: one builder for every way an answer ends, catch-up marked', () => {
  const outcome: AnswerOutcome = {
    ...ids,
    userMessageId: 'u1',
    content: 'Partial',
    status: 'interrupted',
    sources: [],
    model: 'scripted',
    promptTokens: 5,
    completionTokens: 2,
    responseTimeMs: 30,
    createdAt: '2026-01-01T00:00:00.000Z',
    failure: { code: 'generation_interrupted', message: 'The answer was interrupted' },
  };
  const data = responseCompleteData(outcome);
  assert.deepEqual(data, {
    message_id: 'm1',
    user_message_id: 'u1',
    chat_id: 'c1',
    content: 'Partial',
    role: 'assistant',
    status: 'interrupted',
    sources: [],
    llm_model: 'scripted',
    prompt_tokens: 5,
    completion_tokens: 2,
    total_tokens: 7,
    response_time_ms: 30,
    created_at: '2026-01-01T00:00:00.000Z',
    message: { id: 'm1', role: 'assistant', content: 'Partial', created_at: '2026-01-01T00:00:00.000Z' },
    error_code: 'generation_interrupted',
  });
  assert.equal('error_code' in responseCompleteData({ ...outcome, status: 'complete', failure: undefined }), false);
  assert.deepEqual(catchUpData(data), { ...data, catch_up: true });

  // Built nowhere else in the server: its fields are written only by chat/answer-end.ts.
  const elsewhere = codeLines().filter(({ file, text }) => file !== join('chat', 'answer-end.ts') && /\b(total_tokens|catch_up|error_code)\s*:/.test(text));
  assert.deepEqual(elsewhere, []);
});

test('server code closes sockets with close codes by name, never a number', () => {
  // A line about closing that holds a number in the range of WebSocket close codes (1000–1015, 4000–4999).
  const numeric = codeLines().filter(({ text }) => /close/i.test(text) && /\b(10(0\d|1[0-5])|4\d{3})\b/.test(text));
  assert.ok(codeLines().some(({ text }) => /close\(CLOSE_CODES\.\w+/.test(text)), 'the scan sees the socket closes');
  assert.deepEqual(numeric, []);
});
