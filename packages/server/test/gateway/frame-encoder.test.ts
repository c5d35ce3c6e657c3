import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ChatEvent } from '../../src/events/chat-event-log.ts';
import { chatEventPrefix, completeFrame } from '../../src/ws/frame-encoder.ts';

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
});
