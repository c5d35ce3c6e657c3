/**
 * What the frame fuzzers (frame-fuzz.test.ts, first-frame-fuzz.test.ts) check of the server's
 * answers, in one place.
 */
import assert from 'node:assert/strict';
import { CLOSE_CODES, isErrorCode } from '@miptech/protocol';
import type { FuzzedFrame } from '@miptech/testing/frame-fuzzer.ts';
import type { ReceivedFrame } from '@miptech/testing/ws-test-client.ts';

/** An error frame is a code and a short message: one that is larger echoes the input back. */
export const MAX_ERROR_FRAME_BYTES = 2048;
/**
 * The close codes a fuzzed frame may end a connection with: the protocol's table (not 1011, which
 * tells the client to retry the same frame, nor 1006, an abrupt end), and 1009, the RFC 6455 code
 * with which a frame over the limit is refused unread (docs/protocol.md).
 */
export const MESSAGE_TOO_BIG_CLOSE = 1009;
export const DOCUMENTED_CLOSE_CODES: ReadonlySet<number> = new Set([
  ...Object.values(CLOSE_CODES).filter((code) => code !== CLOSE_CODES.internalError && code !== CLOSE_CODES.abnormal),
  MESSAGE_TOO_BIG_CLOSE,
]);

/** A fuzzed frame in a failure message: its label and the start of what was sent. */
export function describeFrame(frame: FuzzedFrame): string {
  const text = frame.binary ? `<${(frame.payload as Buffer).length} binary bytes>` : (frame.payload as string);
  return `${frame.label}: ${JSON.stringify(text.slice(0, 160))}${text.length > 160 ? `… (${text.length} chars)` : ''}`;
}

export function checkErrorFrames(frames: ReceivedFrame[], context: string): void {
  for (const frame of frames) {
    if (frame.type !== 'error') continue;
    assert.ok(isErrorCode(frame.data.code), `${context}: error frame with an unknown code ${JSON.stringify(frame.data.code)}`);
    // A hostile input is the client's fault: the server failing on it is a bug (and 1011 makes clients retry it).
    assert.notEqual(frame.data.code, 'internal_error', `${context}: internal_error (${String(frame.data.message)})`);
    const size = Buffer.byteLength(JSON.stringify(frame));
    assert.ok(size <= MAX_ERROR_FRAME_BYTES, `${context}: ${frame.data.code} error frame of ${size} bytes echoes the input (limit ${MAX_ERROR_FRAME_BYTES})`);
  }
}

