/**
 * Seeded fuzzing of every client frame type over real WebSockets (issue #15, adversarial suite):
 * ≥ 10,000 hostile frames from joined connections of tenant A — mutated fields, truncated and garbage
 * JSON, oversized and binary frames (first frames before a join: first-frame-fuzz.test.ts).
 * Each frame is followed by a ping, so what the server answered to it is known exactly:
 * - a frame the protocol's parser refuses gets an `error` frame with the parser's code, a binary one
 *   `binary_not_supported`, a too large one `message_too_large`; every error code is in the table
 *   and no error frame echoes a large input back;
 * - the server never closes with 1011 (a close with a documented code is counted, and the connection
 *   reopened);
 * - a control visitor of tenant B keeps getting answers throughout, and RSS stays bounded.
 * SEED=<n> replays the same frames.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_FRAME_TYPES, parseClientFrame, type ErrorCode } from '@miptech/protocol';
import { connectAndJoin, type WsTestClient } from '@miptech/testing/ws-test-client.ts';
import { fuzzFrame, type FuzzedFrame } from '@miptech/testing/frame-fuzzer.ts';
import { seededRandom, testSeed, withSeed, type SeededRandom } from '@miptech/testing/seeded-random.ts';
import { checkErrorFrames, describeFrame, DOCUMENTED_CLOSE_CODES } from './frame-checks.ts';
import { MiB, startAdversarialPlatform, trackRss, type AdversarialPlatform } from './adversarial-platform.ts';

const JOINED_FRAMES = 10_200;
const CONNECTIONS = 60;
const RSS_GROWTH_LIMIT = 150 * MiB;
/** The server's per-connection budget is 40 frames a second; stay under it with a margin. */
const FRAMES_PER_WINDOW = 34;
const WINDOW_MS = 1_100;

/** Keeps a connection under the server's frame rate limit (a sliding window of send times). */
function pacer(): () => Promise<void> {
  const sent: number[] = [];
  return async () => {
    for (;;) {
      const now = Date.now();
      while (sent.length > 0 && now - sent[0]! >= WINDOW_MS) sent.shift();
      if (sent.length < FRAMES_PER_WINDOW) {
        sent.push(now);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, WINDOW_MS - (now - sent[0]!) + 1));
    }
  };
}

/** The error code a frame must get, when the protocol decides it without the server's state. */
function expectedError(frame: FuzzedFrame, maxFrameBytes: number): ErrorCode | null {
  if (frame.binary) return 'binary_not_supported';
  const text = frame.payload as string;
  if (Buffer.byteLength(text) > maxFrameBytes) return 'message_too_large';
  const parsed = parseClientFrame(text);
  return parsed.ok ? null : parsed.code;
}

/** A control visitor of tenant B asking a question every `everyMs` until stopped; every answer must come. */
function startControlVisitor(ap: AdversarialPlatform, token: string, everyMs: number) {
  let stopped = false;
  const latencies: number[] = [];
  const done = (async () => {
    const { ws } = await connectAndJoin(ap.tp.wsUrl({}, ap.b.id), { token, create: true });
    try {
      for (let i = 0; !stopped; i += 1) {
        ws.mark();
        const started = Date.now();
        ws.send({ type: 'user_message', data: { text: `control question ${i}` } });
        await ws.waitFor('response_chunk', 5_000);
        latencies.push(Date.now() - started);
        await ws.collectAnswer({ timeoutMs: 5_000 });
        await new Promise((resolve) => setTimeout(resolve, everyMs));
      }
    } finally {
      await ws.close();
    }
  })();
  // Reported by stop(); until then a failure must not be an unhandled rejection.
  done.catch(() => undefined);
  return {
    latencies,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

test('fuzzed frames of every client type get typed errors, never 1011, while another tenant is served', { timeout: 110_000 }, async (t) => {
  const seed = testSeed();
  t.diagnostic(`SEED=${seed}`);
  const ap = await startAdversarialPlatform();
  t.after(() => ap.tp.close());
  const maxFrameBytes = ap.tp.config.wsMaxFrameBytes;
  const control = startControlVisitor(ap, await ap.tp.mintToken({ tenantId: ap.b.id, sub: 'control-visitor' }), 300);

  const counts = { frames: 0, typedErrors: 0, byType: new Map<string, number>(), closes: new Map<number, number>() };

  // The connections open a few at a time, and the fuzzing starts once all are open: on a busy
  // machine, sixty joins at once next to a running fuzzer can take longer than a join's timeout.
  let opening = Promise.resolve();
  const inTurn = <T>(step: () => Promise<T>): Promise<T> => {
    const result = opening.then(step);
    opening = result.then(() => undefined, () => undefined);
    return result;
  };
  let openCount = 0;
  let allOpen!: () => void;
  const started = new Promise<void>((resolve) => {
    allOpen = resolve;
  });

  async function fuzzConnection(index: number, random: SeededRandom, frames: number): Promise<void> {
    const token = await ap.tp.mintToken({ tenantId: ap.a.id, sub: `fuzz-visitor-${index}` });
    // Each connection from an address of its own: the per-address limits are not what is tested here.
    const localAddress = `127.0.0.${10 + index}`;
    const open = async (): Promise<{ ws: WsTestClient; chatId: string }> => {
      const { ws, joined } = await connectAndJoin(ap.tp.wsUrl({}, ap.a.id), { token, create: true }, { localAddress });
      return { ws, chatId: joined.data.chat_id as string };
    };
    let { ws, chatId } = await inTurn(open);
    openCount += 1;
    if (openCount === CONNECTIONS) allOpen();
    await started;
    const pace = pacer();
    try {
      for (let i = 0; i < frames; i += 1) {
        const type = CLIENT_FRAME_TYPES[(index + i) % CLIENT_FRAME_TYPES.length]!;
        const frame = fuzzFrame(type, { random, chatId, tenantId: ap.a.id, token }, maxFrameBytes);
        const context = `connection ${index} frame ${i} (${describeFrame(frame)})`;
        const expected = expectedError(frame, maxFrameBytes);
        await pace();
        ws.mark();
        ws.sendRaw(frame.payload, { binary: frame.binary });
        await pace();
        const marker = 9_000_000_000_000 + index * 100_000 + i;
        ws.socket.send(JSON.stringify({ type: 'ping', data: { ts: marker } }));
        try {
          await ws.waitFor((f) => f.type === 'pong' && f.data.ts === marker, 10_000);
        } catch (error) {
          const info = await Promise.race([ws.closed, new Promise<null>((resolve) => setTimeout(() => resolve(null), 50))]);
          if (info === null) throw new Error(`${context}: no answer to the ping after it: ${(error as Error).message}`);
          assert.ok(DOCUMENTED_CLOSE_CODES.has(info.code), `${context}: closed with ${info.code} ${info.reason}`);
          counts.closes.set(info.code, (counts.closes.get(info.code) ?? 0) + 1);
          ({ ws, chatId } = await inTurn(open));
          continue;
        }
        const answered = ws.all(() => true);
        checkErrorFrames(answered, context);
        const errors = answered.filter((f) => f.type === 'error').map((f) => f.data.code as string);
        if (expected !== null) {
          assert.ok(errors.includes(expected), `${context}: expected an error frame ${expected}, got ${JSON.stringify(errors)}`);
        }
        counts.frames += 1;
        counts.typedErrors += errors.length;
        counts.byType.set(type, (counts.byType.get(type) ?? 0) + 1);
      }
    } finally {
      await ws.close();
    }
  }

  const { beforeBytes, peakBytes } = await withSeed(seed, () =>
    trackRss(async () => {
      await Promise.all(
        Array.from({ length: CONNECTIONS }, (_, index) => fuzzConnection(index, seededRandom((seed + index * 0x9e3779b9) >>> 0), Math.ceil(JOINED_FRAMES / CONNECTIONS))),
      );
    }),
  ).finally(() => control.stop().catch(() => undefined));
  // Every control question was answered (stop() rethrows the first that was not).
  await control.stop();

  t.diagnostic(`frames: ${counts.frames}, typed errors: ${counts.typedErrors}, per type: ${JSON.stringify(Object.fromEntries(counts.byType))}, closes: ${JSON.stringify(Object.fromEntries(counts.closes))}`);
  t.diagnostic(`RSS ${Math.round(beforeBytes / MiB)} → peak ${Math.round(peakBytes / MiB)} MiB; control answers: ${control.latencies.length}, slowest first chunk ${Math.max(...control.latencies)} ms`);
  assert.ok(counts.frames >= 10_000, `only ${counts.frames} frames were fuzzed`);
  for (const type of CLIENT_FRAME_TYPES) assert.ok((counts.byType.get(type) ?? 0) > 100, `frame type ${type} fuzzed ${counts.byType.get(type) ?? 0} times`);
  assert.ok(peakBytes - beforeBytes < RSS_GROWTH_LIMIT, `RSS grew by ${Math.round((peakBytes - beforeBytes) / MiB)} MiB (limit ${RSS_GROWTH_LIMIT / MiB}); SEED=${seed}`);
  assert.ok(control.latencies.length >= 5, `the control visitor got only ${control.latencies.length} answers`);
  const ready = await fetch(`${ap.tp.url}/readyz`);
  assert.equal(ready.status, 200, 'the platform is still ready');
});
