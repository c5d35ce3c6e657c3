/**
 * Seeded fuzzing of the first frame of a connection (issue #15, adversarial suite): hostile frames of
 * every client frame type sent before any join. Each is refused with an error frame and a documented
 * close code (never 1011, which would make a client retry the same frame: the issue found hostile
 * join fields ending that way on PostgreSQL, so this runs on both stores), or, for a valid ping or
 * join, answered. SEED=<n> replays the same frames.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLIENT_FRAME_TYPES, CLOSE_CODES, parseClientFrame } from '@miptech/protocol';
import { connectAndJoin, connectWs } from '@miptech/testing/ws-test-client.ts';
import { fuzzFrame } from '@miptech/testing/frame-fuzzer.ts';
import { seededRandom, testSeed, withSeed } from '@miptech/testing/seeded-random.ts';
import { checkErrorFrames, describeFrame, DOCUMENTED_CLOSE_CODES, MESSAGE_TOO_BIG_CLOSE } from './frame-checks.ts';
import { startAdversarialPlatform } from './adversarial-platform.ts';

const FIRST_FRAMES = 240;

test('fuzzed first frames (before any join) are refused with an error frame and a documented close code', { timeout: 60_000 }, async (t) => {
  const seed = testSeed();
  t.diagnostic(`SEED=${seed}`);
  const ap = await startAdversarialPlatform();
  t.after(() => ap.tp.close());
  const random = seededRandom(seed);
  const token = await ap.tp.mintToken({ tenantId: ap.a.id, sub: 'first-frame-visitor' });
  const maxFrameBytes = ap.tp.config.wsMaxFrameBytes;
  const closes = new Map<number, number>();
  let joined = 0;

  await withSeed(seed, async () => {
    const frames = Array.from({ length: FIRST_FRAMES }, (_, i) => fuzzFrame(CLIENT_FRAME_TYPES[i % CLIENT_FRAME_TYPES.length]!, { random, chatId: 'chat-that-does-not-exist', tenantId: ap.a.id, token }, maxFrameBytes));
    let next = 0;
    const worker = async (slot: number) => {
      while (next < frames.length) {
        const i = next++;
        const frame = frames[i]!;
        const context = `first frame ${i} (${describeFrame(frame)})`;
        const ws = await connectWs(ap.tp.wsUrl({}, ap.a.id), { localAddress: `127.0.1.${10 + slot}` });
        ws.sendRaw(frame.payload, { binary: frame.binary });
        // A ping after it: a connection still open and answering it was not refused.
        const marker = 8_000_000_000_000 + i;
        if (ws.socket.readyState === ws.socket.OPEN) ws.socket.send(JSON.stringify({ type: 'ping', data: { ts: marker } }));
        const outcome = await Promise.race([
          ws.closed.then((info) => ({ kind: 'closed' as const, info })),
          ws.waitFor('chat_joined', 5_000).then(() => ({ kind: 'joined' as const })),
          ws.waitFor((f) => f.type === 'pong' && f.data.ts === marker, 5_000).then(() => ({ kind: 'open' as const })),
        ]).catch((error: Error) => {
          throw new Error(`${context}: neither joined nor closed nor answered: ${error.message}`);
        });
        checkErrorFrames(ws.frames, context);
        if (outcome.kind === 'open') {
          // Only a ping or pong may come before the join without ending the connection.
          const parsed = frame.binary ? null : parseClientFrame(frame.payload as string);
          assert.ok(parsed?.ok && (parsed.frame.type === 'ping' || parsed.frame.type === 'pong'), `${context}: not refused before the join`);
          await ws.close();
          continue;
        }
        if (outcome.kind === 'joined') {
          joined += 1;
          await ws.close();
          continue;
        }
        const { code, reason } = outcome.info;
        closes.set(code, (closes.get(code) ?? 0) + 1);
        assert.ok(DOCUMENTED_CLOSE_CODES.has(code), `${context}: closed with ${code} ${reason}`);
        const errors = ws.frames.filter((f) => f.type === 'error');
        // Only a refusal before anything is read (1008: no tenant; 1009: too large to read) comes without an error frame.
        assert.ok(errors.length > 0 || code === CLOSE_CODES.policyViolation || code === MESSAGE_TOO_BIG_CLOSE, `${context}: closed ${code} without an error frame`);
      }
    };
    await Promise.all(Array.from({ length: 6 }, (_, slot) => worker(slot)));
  });
  t.diagnostic(`first frames: ${FIRST_FRAMES}, joined: ${joined}, closes: ${JSON.stringify(Object.fromEntries(closes))}`);
  const ready = await fetch(`${ap.tp.url}/readyz`);
  assert.equal(ready.status, 200);
});

test('a join whose fields are over the REST bounds or hold a NUL is refused, on every store, never with 1011', { timeout: 60_000 }, async (t) => {
  const ap = await startAdversarialPlatform();
  t.after(() => ap.tp.close());
  const token = await ap.tp.mintToken({ tenantId: ap.a.id, sub: 'bounded-join-visitor' });
  // The REST bounds (docs/protocol.md): ids, session ids 128 characters, channels 64. A join is < 10 KB.
  const oversized: Array<[string, string]> = [];
  for (const field of ['session_id', 'channel', 'chat_id']) {
    for (const length of [200, 5_000]) oversized.push([field, 'x'.repeat(length)]);
    oversized.push([field, '🔥'.repeat(100)]);
    // Short, but with a NUL character, which PostgreSQL cannot store (it answered 1011).
    oversized.push([field, 'web\u0000socket']);
  }
  const outcomes: string[] = [];
  for (const [index, [field, value]] of oversized.entries()) {
    const context = `join_chat with a ${value.length}-character ${field}`;
    const ws = await connectWs(ap.tp.wsUrl({}, ap.a.id), { localAddress: `127.0.2.${10 + index}` });
    ws.send({ type: 'join_chat', data: { create: true, token, [field]: value } });
    const closed = await ws.waitForClose(5_000).catch(() => null);
    const joined = ws.frames.find((f) => f.type === 'chat_joined');
    await ws.close();
    assert.equal(joined, undefined, `${context}: joined (the value was stored)`);
    assert.ok(closed, `${context}: neither refused nor closed`);
    assert.notEqual(closed.code, CLOSE_CODES.internalError, `${context}: closed 1011 (clients retry the same frame)`);
    assert.ok(DOCUMENTED_CLOSE_CODES.has(closed.code), `${context}: closed with ${closed.code}`);
    checkErrorFrames(ws.frames, context);
    outcomes.push(`${field}:${value.length}→${closed.code}`);
  }
  t.diagnostic(outcomes.join(', '));

  // After the join: message fields with a NUL get a typed refusal, not internal_error.
  const { ws } = await connectAndJoin(ap.tp.wsUrl({}, ap.a.id), { token, create: true }, { localAddress: '127.0.2.200' });
  t.after(() => ws.close());
  for (const data of [{ text: 'a\u0000b' }, { text: 'fine', client_message_id: 'id\u0000' }, { text: 'fine', chat_id: 'chat\u0000' }]) {
    ws.mark();
    ws.send({ type: 'user_message', data });
    await ws.roundTrip();
    const context = `user_message ${JSON.stringify(data)}`;
    checkErrorFrames(ws.all(() => true), context);
    assert.ok(ws.all('error').length > 0, `${context}: accepted`);
  }
});
