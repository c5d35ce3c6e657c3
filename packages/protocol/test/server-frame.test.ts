/**
 * serverFrame is the one builder of server frames: its `data` is typed by the frame type. The
 * `@ts-expect-error` lines below are checked by `npm run typecheck` (the root tsconfig includes
 * packages/*\/test): each must be a compile error, or tsc reports the directive as unused and the
 * typecheck fails. At run time serverFrame checks nothing — the compiler is the guard.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { SERVER_FRAME_TYPES, serverFrame, type ServerFrameDataMap, type ServerFrameEnvelope } from '@miptech/protocol';

const envelope: ServerFrameEnvelope = { tenant_id: 'acme', event_ts: 1700000000000 };

test('a frame is built from its type, its typed data and the envelope, keys in wire order', () => {
  const frame = serverFrame('response_chunk', { message_id: 'm1', chat_id: 'c1', content: 'Hi', chunk_index: 0 }, { ...envelope, chat_id: 'c1', message_id: 'm1', seq: 7 });
  assert.equal(
    JSON.stringify(frame),
    '{"type":"response_chunk","chat_id":"c1","message_id":"m1","seq":7,"tenant_id":"acme","data":{"message_id":"m1","chat_id":"c1","content":"Hi","chunk_index":0},"event_ts":1700000000000}',
  );
  // The frame's data is typed by its type: reading a field of another frame type does not compile.
  assert.equal(frame.data.chunk_index, 0);
  // @ts-expect-error a response_chunk has no `status`
  assert.equal(frame.data.status, undefined);
});

test('ids that are absent, null or empty are left out of the envelope', () => {
  const frame = serverFrame('pong', { ts: 1 }, { ...envelope, chat_id: null, message_id: '' });
  assert.deepEqual(Object.keys(frame), ['type', 'tenant_id', 'data', 'event_ts']);
});

test('a frame with a wrong data field does not compile', () => {
  const wrong = [
    // @ts-expect-error misspelt field (`timestamp` instead of `ts`)
    serverFrame('ping', { timestamp: 1 }, envelope),
    // @ts-expect-error the data of another frame type
    serverFrame('response_chunk', { ts: 1 }, envelope),
    // @ts-expect-error a required field missing (`user_message_id`)
    serverFrame('response_start', { message_id: 'm1', chat_id: 'c1' }, envelope),
    // @ts-expect-error an extra field
    serverFrame('processing', { message_id: 'm1', user_message_id: 'u1', chat_id: 'c1', progress: 50 }, envelope),
    // @ts-expect-error an error code that is not in ERROR_CODES
    serverFrame('error', { code: 'no_such_code', message: 'x', retryable: false }, envelope),
    // @ts-expect-error a field of the wrong type
    serverFrame('chat_joined', { chat_id: 'c1', tenant_id: 'acme', resumed: 'yes', last_seq: 0 }, envelope),
    // @ts-expect-error a frame type the protocol does not have
    serverFrame('typing', {}, envelope),
    // @ts-expect-error the envelope needs tenant_id and event_ts
    serverFrame('ping', { ts: 1 }, { tenant_id: 'acme' }),
  ];
  // Nothing checks at run time: these frames are built as given, which is why the types must refuse them.
  assert.equal(wrong.length, 8);
  assert.deepEqual(wrong[0]?.data, { timestamp: 1 });
});

test('every server frame type has its data type, and the typecheck covers this file', () => {
  const dataTypes: Record<keyof ServerFrameDataMap, true> = {
    connection_established: true,
    initialization_progress: true,
    connection_ready: true,
    chat_created: true,
    chat_joined: true,
    message_received: true,
    processing: true,
    response_start: true,
    response_chunk: true,
    response_complete: true,
    error: true,
    ping: true,
    pong: true,
  };
  assert.deepEqual(Object.keys(dataTypes).sort(), [...SERVER_FRAME_TYPES].sort());
  const rootConfig = JSON.parse(readFileSync(new URL('../../../tsconfig.json', import.meta.url), 'utf8')) as { include: string[] };
  assert.ok(rootConfig.include.includes('packages/*/test/**/*'), 'npm run typecheck checks the @ts-expect-error lines of this file');
});
