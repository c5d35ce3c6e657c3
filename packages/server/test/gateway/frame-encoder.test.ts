import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CHAT_EVENT_FRAME_TYPES, serverFrame } from '@miptech/protocol';
import type { ChatEvent } from '../../src/backend/events/chat-event-log.ts';
import { responseCompleteData } from '../../src/chat/answer-end.ts';
import { ChatEventEncoder, chatEventPrefix, completeFrame, encodeFrame } from '../../src/ws/frame-encoder.ts';

const base: ChatEvent = {
  tenantId: 'acme',
  chatId: 'chat_1',
  seq: 42,
  type: 'response_chunk',
  messageId: 'msg_1',
  data: { message_id: 'msg_1', chat_id: 'chat_1', content: 'quote " backslash \\ line\u2028sep ü 😀', chunk_index: 3 },
};

const received: ChatEvent = {
  ...base,
  seq: 1,
  type: 'message_received',
  messageId: 'msg_user',
  data: { message_id: 'msg_user', client_message_id: 'c-1', chat_id: 'chat_1', role: 'user', content: 'hi', created_at: '2026-01-01T00:00:00.000Z' },
};
const processing: ChatEvent = { ...base, seq: 2, type: 'processing', data: { message_id: 'msg_1', user_message_id: 'msg_user', chat_id: 'chat_1' } };
const started: ChatEvent = { ...base, seq: 3, type: 'response_start', data: { message_id: 'msg_1', user_message_id: 'msg_user', chat_id: 'chat_1' } };
const failed: ChatEvent = {
  ...base,
  seq: 8,
  type: 'error',
  data: { code: 'generation_interrupted', message: 'The answer was interrupted', retryable: true, message_id: 'msg_1', chat_id: 'chat_1' },
};
const completedData = responseCompleteData({
  tenantId: 'acme',
  chatId: 'chat_1',
  messageId: 'msg_1',
  userMessageId: 'msg_user',
  content: 'done',
  status: 'complete',
  sources: [{ title: 't', url: null, snippet: 's' }],
  model: 'scripted',
  promptTokens: 3,
  completionTokens: 1,
  responseTimeMs: 12,
  createdAt: '2026-01-01T00:00:01.000Z',
});
const completed: ChatEvent = { ...base, seq: 9, type: 'response_complete', data: completedData };

/** The frame of a chat event as the protocol's one builder makes it. */
function builtByProtocol(event: ChatEvent, eventTs: number): string {
  const envelope = { chat_id: event.chatId, message_id: event.messageId, seq: event.seq, tenant_id: event.tenantId, event_ts: eventTs };
  // The event's type and data come as a pair (ChatEvent is discriminated by type).
  return encodeFrame(serverFrame<ChatEvent['type']>(event.type, event.data, envelope));
}

describe('chat event frames', () => {
  it('serialises the envelope in wire order and completes it with the connection event_ts', () => {
    const text = completeFrame(chatEventPrefix(base), 1700000000123);
    assert.equal(
      text,
      JSON.stringify({ type: 'response_chunk', chat_id: 'chat_1', message_id: 'msg_1', seq: 42, tenant_id: 'acme', data: base.data, event_ts: 1700000000123 }),
    );
    assert.deepEqual(JSON.parse(text).data, base.data);
  });

  it('leaves message_id out of the envelope when the event has none', () => {
    const frame = JSON.parse(completeFrame(chatEventPrefix({ ...received, messageId: null }), 1));
    assert.deepEqual(Object.keys(frame), ['type', 'chat_id', 'seq', 'tenant_id', 'data', 'event_ts']);
  });

  it('writes, for every chat event type, the bytes of the protocol builder serverFrame', () => {
    const events = [received, processing, started, base, failed, completed, { ...received, messageId: null }];
    assert.deepEqual([...new Set(events.map((event) => event.type))].sort(), [...CHAT_EVENT_FRAME_TYPES].sort(), 'every chat event type is covered');
    const encoder = new ChatEventEncoder();
    for (const event of events) {
      assert.equal(completeFrame(chatEventPrefix(event), 1700000000123), builtByProtocol(event, 1700000000123), event.type);
      assert.equal(completeFrame(encoder.prefix(event), 7), builtByProtocol(event, 7), `${event.type} (room encoder)`);
    }
  });

  it('a room encoder that reuses the head of the previous event writes the same text for every event of a sequence', () => {
    const encoder = new ChatEventEncoder();
    const sequence: ChatEvent[] = [
      received,
      processing,
      { ...base, seq: 3 },
      { ...base, seq: 4, data: { ...base.data, content: 'next', chunk_index: 4 } },
      { ...base, seq: 5, messageId: 'msg_2' },
      { ...base, seq: 6, messageId: null },
      { ...base, seq: 7, tenantId: 'other' },
      { ...base, seq: 8, chatId: 'chat_2' },
      completed,
    ];
    for (const event of sequence) assert.equal(encoder.prefix(event), chatEventPrefix(event), `seq ${event.seq}`);
  });
});

describe('connection frames', () => {
  it('are serverFrame serialised: envelope keys in wire order, empty ids left out', () => {
    const ping = encodeFrame(serverFrame('ping', { ts: 5 }, { tenant_id: 'acme', event_ts: 6 }));
    assert.equal(ping, '{"type":"ping","tenant_id":"acme","data":{"ts":5},"event_ts":6}');
    const joined = encodeFrame(
      serverFrame('chat_joined', { chat_id: 'chat_1', tenant_id: 'acme', resumed: false, last_seq: 4, visitor_id: null }, { chat_id: 'chat_1', message_id: null, tenant_id: 'acme', event_ts: 7 }),
    );
    assert.deepEqual(Object.keys(JSON.parse(joined)), ['type', 'chat_id', 'tenant_id', 'data', 'event_ts']);
    const end = JSON.parse(
      encodeFrame(serverFrame('response_complete', completedData, { chat_id: 'chat_1', message_id: 'msg_1', tenant_id: 'acme', event_ts: 8 })),
    );
    assert.deepEqual(Object.keys(end), ['type', 'chat_id', 'message_id', 'tenant_id', 'data', 'event_ts']);
  });
});
