import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatEvent } from '../../src/backend/events/chat-event-log.ts';
import { ChatEventEncoder, chatEventPrefix, completeFrame } from '../../src/ws/frame-encoder.ts';

const base: ChatEvent = {
  tenantId: 'acme',
  chatId: 'chat_1',
  seq: 42,
  type: 'response_chunk',
  messageId: 'msg_1',
  data: { message_id: 'msg_1', chat_id: 'chat_1', content: 'quote " backslash \\ line\u2028sep ü 😀', chunk_index: 3 },
};

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
    const frame = JSON.parse(completeFrame(chatEventPrefix({ ...base, type: 'message_received', messageId: null, data: {} }), 1));
    assert.deepEqual(Object.keys(frame), ['type', 'chat_id', 'seq', 'tenant_id', 'data', 'event_ts']);
  });

  it('a room encoder that reuses the head of the previous event writes the same text for every event of a sequence', () => {
    const encoder = new ChatEventEncoder();
    const sequence: ChatEvent[] = [
      { ...base, seq: 1, type: 'message_received', messageId: 'msg_user', data: { content: 'hi' } },
      { ...base, seq: 2, type: 'processing', messageId: 'msg_1', data: {} },
      { ...base, seq: 3 },
      { ...base, seq: 4, data: { ...base.data, content: 'next', chunk_index: 4 } },
      { ...base, seq: 5, messageId: 'msg_2' },
      { ...base, seq: 6, messageId: null },
      { ...base, seq: 7, tenantId: 'other' },
      { ...base, seq: 8, chatId: 'chat_2' },
      { ...base, seq: 9, type: 'response_complete', data: { content: 'done', sources: [{ title: 't' }] } },
    ];
    for (const event of sequence) assert.equal(encoder.prefix(event), chatEventPrefix(event), `seq ${event.seq}`);
  });
});
