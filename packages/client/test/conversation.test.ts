/**
 * The message list rules: one object per id, chunks deduplicated by index, the final content from
 * response_complete, and history merged by id without ever losing or doubling text.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MessageResource, ResponseCompleteData, ResponseChunkData } from '@miptech/protocol';
import { Conversation } from '../src/conversation.ts';

const T0 = '2025-01-01T10:00:00.000Z';
const T1 = '2025-01-01T10:00:01.000Z';
const T2 = '2025-01-01T10:00:02.000Z';
const T3 = '2025-01-01T10:00:03.000Z';

function chunk(index: number, content: string, messageId = 'a1'): ResponseChunkData {
  return { message_id: messageId, chat_id: 'c', content, chunk_index: index };
}

function complete(content: string, extra: Partial<ResponseCompleteData> = {}): ResponseCompleteData {
  return {
    message_id: 'a1', user_message_id: 'u1', chat_id: 'c', content, role: 'assistant', status: 'complete', sources: [],
    llm_model: 'x', prompt_tokens: 0, completion_tokens: 0, total_tokens: 0, response_time_ms: 0, created_at: T2,
    message: { id: 'a1', role: 'assistant', content, created_at: T2 }, ...extra,
  };
}

function resource(id: string, role: 'user' | 'assistant', content: string, created: string, extra: Partial<MessageResource> = {}): MessageResource {
  return {
    id, chat_id: 'c', role, content, status: 'complete', client_message_id: null, reply_to: null, sources: [],
    llm_model: null, prompt_tokens: null, completion_tokens: null, response_time_ms: null, created_at: created, ...extra,
  };
}

test('one reply object grows with each chunk; repeated and out-of-order chunks are placed by index', () => {
  const c = new Conversation();
  c.startReply('a1', null, T1);
  c.startReply('a1', null, T1);
  c.appendChunk(chunk(0, 'Hel'), T1);
  c.appendChunk(chunk(2, ' world'), T1);
  assert.equal(c.messages[0]!.content, 'Hel', 'a gap waits for the missing chunk');
  c.appendChunk(chunk(1, 'lo'), T1);
  c.appendChunk(chunk(1, 'lo'), T1);
  assert.equal(c.messages.length, 1);
  assert.equal(c.messages[0]!.content, 'Hello world');
  assert.equal(c.streamingReply?.id, 'a1');
});

test('response_complete is final and later chunks do not change it', () => {
  const c = new Conversation();
  c.appendChunk(chunk(0, 'partial'), T1);
  c.completeReply(complete('The full answer.', { sources: [{ title: 'Doc', url: null, snippet: 's' }] }), T2);
  c.appendChunk(chunk(1, ' late'), T2);
  const [reply] = c.messages;
  assert.equal(reply!.content, 'The full answer.');
  assert.equal(reply!.status, 'complete');
  assert.equal(reply!.sources.length, 1);
  assert.equal(c.streamingReply, null);
});

test('an empty final content stays empty (no fallback to stale streamed text)', () => {
  const c = new Conversation();
  c.appendChunk(chunk(0, 'draft'), T1);
  c.completeReply(complete('', { status: 'stopped' }), T2);
  assert.equal(c.messages[0]!.content, '');
  assert.equal(c.messages[0]!.status, 'stopped');
});

test('a reply is placed after the message it answers, before later queued messages', () => {
  const c = new Conversation();
  c.addLocalUserMessage('k1', 'first', 'sending', T0);
  c.addLocalUserMessage('k2', 'second', 'queued', T1);
  c.acknowledge({ message_id: 'u1', client_message_id: 'k1', chat_id: 'c', role: 'user', content: 'first', created_at: T0 });
  c.startReply('a1', 'u1', T1);
  assert.deepEqual(c.messages.map((m) => m.id), ['u1', 'a1', 'local_k2']);
});

test('history merge: new messages are added in page order, known ones kept, local ones stay in place', () => {
  const c = new Conversation();
  c.addLocalUserMessage('k9', 'typed offline', 'queued', T3);
  const { acknowledged } = c.mergeHistory([
    resource('a0', 'assistant', 'Hi!', T1),
    resource('u0', 'user', 'Hello', T0),
  ]);
  assert.equal(acknowledged.length, 0);
  assert.deepEqual(c.messages.map((m) => m.id), ['u0', 'a0', 'local_k9']);
  const before = c.messages;
  const again = c.mergeHistory([resource('u0', 'user', 'Hello', T0), resource('a0', 'assistant', 'Hi!', T1)]);
  assert.equal(again.changed, false);
  assert.equal(c.messages, before, 'merging the same page twice changes nothing');
});

test('history merge acknowledges a local message the server stored (ack lost in a disconnect)', () => {
  const c = new Conversation();
  c.addLocalUserMessage('k1', 'hello', 'sending', T0);
  const { acknowledged } = c.mergeHistory([resource('u1', 'user', 'hello', T0, { client_message_id: 'k1' })]);
  assert.equal(acknowledged.length, 1);
  assert.deepEqual(c.messages.map((m) => [m.id, m.status, m.clientMessageId]), [['u1', 'sent', 'k1']]);
});

test('history merge with a streaming answer: the longer prefix wins, text is never doubled', () => {
  const c = new Conversation();
  c.appendChunk(chunk(0, 'The '), T1);
  c.appendChunk(chunk(1, 'quick '), T1);
  // History was read while the answer was further along.
  c.mergeHistory([resource('a1', 'assistant', 'The quick brown ', T1, { status: 'streaming' })]);
  assert.equal(c.messages[0]!.content, 'The quick brown ');
  // The replayed chunk 2 overlaps what history showed: no doubling.
  c.appendChunk(chunk(2, 'brown '), T1);
  assert.equal(c.messages[0]!.content, 'The quick brown ');
  c.appendChunk(chunk(3, 'fox'), T1);
  assert.equal(c.messages[0]!.content, 'The quick brown fox');
  // An older history page must not shrink it.
  c.mergeHistory([resource('a1', 'assistant', 'The ', T1, { status: 'streaming' })]);
  assert.equal(c.messages[0]!.content, 'The quick brown fox');
});

test('history finishes an answer whose response_complete was missed; it never reopens a finished one', () => {
  const c = new Conversation();
  c.appendChunk(chunk(0, 'half'), T1);
  c.mergeHistory([resource('a1', 'assistant', 'half and the rest', T1, { status: 'interrupted' })]);
  assert.deepEqual([c.messages[0]!.content, c.messages[0]!.status], ['half and the rest', 'interrupted']);
  c.mergeHistory([resource('a1', 'assistant', 'half', T1, { status: 'streaming' })]);
  assert.deepEqual([c.messages[0]!.content, c.messages[0]!.status], ['half and the rest', 'interrupted']);
});

test('a reload mid-answer: history text first, then chunks from the start replace it only when longer', () => {
  const c = new Conversation();
  c.mergeHistory([resource('u1', 'user', 'q', T0), resource('a1', 'assistant', 'abc', T1, { status: 'streaming' })]);
  c.appendChunk(chunk(5, 'zzz'), T2);
  assert.equal(c.messages[1]!.content, 'abc', 'a chunk after an unknown gap is not glued on');
  c.completeReply(complete('abcdefzzz'), T2);
  assert.equal(c.messages[1]!.content, 'abcdefzzz');
});

test('history merge never moves a known message; unknown ones go before their successor in the page', () => {
  const c = new Conversation();
  // Live order: the answer right after its question, then the next question.
  c.acknowledge({ message_id: 'u3', client_message_id: 'k3', chat_id: 'c', role: 'user', content: 'q3', created_at: T1 });
  c.startReply('a3', 'u3', T1);
  c.acknowledge({ message_id: 'u4', client_message_id: 'k4', chat_id: 'c', role: 'user', content: 'q4', created_at: T1 });
  // The database interleaved them differently and has an older exchange the client never saw.
  c.mergeHistory([
    resource('u1', 'user', 'q1', T0),
    resource('a1', 'assistant', 'r1', T0),
    resource('u3', 'user', 'q3', T1),
    resource('u4', 'user', 'q4', T1),
    resource('a3', 'assistant', 'r3', T1),
  ]);
  assert.deepEqual(c.messages.map((m) => m.id), ['u1', 'a1', 'u3', 'a3', 'u4']);
  assert.equal(c.messages[3]!.content, 'r3');
});

test('acknowledge: a foreign message (another tab) is added once; an ack for a known id changes nothing', () => {
  const c = new Conversation();
  const data = { message_id: 'u7', client_message_id: 'other-tab', chat_id: 'c', role: 'user' as const, content: 'hi', created_at: T0 };
  c.acknowledge(data);
  c.acknowledge({ ...data, duplicate: true });
  assert.equal(c.messages.length, 1);
});

test('an older page goes before the message it was read before, in page order, whatever the timestamps', () => {
  const c = new Conversation();
  c.mergeHistory([resource('u3', 'user', 'q3', T2), resource('a3', 'assistant', 'r3', T2)]);
  // Equal and skewed clocks: position decides, not created_at.
  const page = [resource('u1', 'user', 'q1', T2), resource('a1', 'assistant', 'r1', T3), resource('u2', 'user', 'q2', T0), resource('a2', 'assistant', 'r2', T2)];
  const result = c.mergeOlder(page, 'u3');
  assert.equal(result.changed, true);
  assert.deepEqual(c.messages.map((m) => m.id), ['u1', 'a1', 'u2', 'a2', 'u3', 'a3']);
  // The same page again (a retried request) changes nothing.
  const before = c.messages;
  assert.equal(c.mergeOlder(page, 'u1').changed, false);
  assert.equal(c.messages, before);
});

test('an older page acknowledges a local message it contains instead of adding a copy', () => {
  const c = new Conversation();
  c.mergeHistory([resource('u5', 'user', 'q5', T2)]);
  c.addLocalUserMessage('k1', 'q1', 'queued', T3);
  const { acknowledged } = c.mergeOlder([resource('u1', 'user', 'q1', T0, { client_message_id: 'k1' }), resource('u0', 'user', 'q0', T0)], 'u5');
  assert.deepEqual(acknowledged.map((m) => m.id), ['u1']);
  assert.deepEqual(c.messages.map((m) => [m.id, m.status]), [['u0', 'sent'], ['u5', 'sent'], ['u1', 'sent']]);
});

test('a page that joined mid-answer: history text up to next_chunk_index becomes the prefix the live chunks extend, without doubling', () => {
  // Live chunks 3 and 4 arrived before history (the join came first); chunk 0 was never seen.
  const c = new Conversation();
  c.appendChunk(chunk(3, ' three'), T1);
  c.appendChunk(chunk(4, ' four'), T1);
  assert.equal(c.messages[0]!.content, '', 'without the start nothing can be shown yet');
  c.mergeHistory([resource('a1', 'assistant', 'zero one two three', T1, { status: 'streaming', next_chunk_index: 4 })]);
  assert.equal(c.messages[0]!.content, 'zero one two three four', 'history up to chunk 3, then the live chunk 4');
  c.appendChunk(chunk(4, ' four'), T1);
  c.appendChunk(chunk(5, ' five'), T1);
  assert.equal(c.messages[0]!.content, 'zero one two three four five');
  assert.equal(c.messages[0]!.status, 'streaming');

  // History read first: its text shows at once and the next live chunks go on from it.
  const d = new Conversation();
  d.mergeHistory([resource('a1', 'assistant', 'zero one', T1, { status: 'streaming', next_chunk_index: 2 })]);
  assert.equal(d.messages[0]!.content, 'zero one');
  d.appendChunk(chunk(1, ' one'), T1);
  d.appendChunk(chunk(2, ' two'), T1);
  assert.equal(d.messages[0]!.content, 'zero one two');
});
