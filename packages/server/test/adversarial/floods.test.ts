/**
 * Floods against tenant A while a control visitor of tenant B chats (issue #15, adversarial suite):
 * a connection flood from one address, joined sockets flooding frames, slow readers (paused sockets
 * asking for answers and sending oversized stop_generation frames, the attack), slow bodies
 * (request headers, then nothing) and a REST burst. Asserted: the control visitor's time to first
 * chunk stays under 5× its unloaded median and under 2 s, the address gets no more sockets than
 * its limit, slow bodies are cut off by the request timeout, the server's RSS grows less than
 * 150 MiB, and the platform is ready afterwards. Then unfinished fragmented messages (kept company
 * by pongs, before and after the join) and fragments piling up before the join: all cut off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { createScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { connectAndJoin, connectWs, type WsTestClient } from '@miptech/testing/ws-test-client.ts';
import { MiB, startAdversarialPlatform, trackRss } from './adversarial-platform.ts';

/** The model's own delay: the bound is 5× the unloaded median, so this leaves room for scheduling noise. */
const FIRST_CHUNK_MS = 150;
const UNLOADED_QUESTIONS = 7;
const LOADED_QUESTIONS = 6;
const CONNECTION_FLOOD = 150;
const FRAME_FLOODERS = 8;
const SLOW_READERS = 16;
const SLOW_BODIES = 100;
const REST_BURST = 300;
const HTTP_REQUEST_TIMEOUT_MS = 1_500;
const RSS_GROWTH_LIMIT = 150 * MiB;

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function timeToFirstChunk(ws: WsTestClient, text: string): Promise<number> {
  ws.mark();
  const started = performance.now();
  ws.send({ type: 'user_message', data: { text } });
  await ws.waitFor('response_chunk', 10_000);
  const elapsed = performance.now() - started;
  await ws.collectAnswer({ timeoutMs: 10_000 });
  return elapsed;
}

/** Sends request headers announcing a body that never comes; resolves with how long until the server closed. */
function slowBody(port: number, localAddress: string, tenantId: string): Promise<{ closedAfterMs: number; status: string }> {
  return new Promise((resolve) => {
    const started = Date.now();
    let received = '';
    const socket: Socket = connect({ host: '127.0.0.1', port, localAddress }, () => {
      socket.write(`POST /api/v1/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Tenant-ID: ${tenantId}\r\nContent-Length: 1000\r\n\r\n{"session_id":`);
    });
    socket.on('data', (chunk) => {
      received += chunk.toString();
    });
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ closedAfterMs: Date.now() - started, status: received.split('\r\n')[0] ?? '' }));
    // Whatever happens, the test does not keep it longer than this.
    setTimeout(() => socket.destroy(), 15_000).unref();
  });
}

test('floods on one tenant leave another tenant served within bounds, and memory bounded', { timeout: 90_000 }, async (t) => {
  const ap = await startAdversarialPlatform({
    env: { HTTP_REQUEST_TIMEOUT_MS: String(HTTP_REQUEST_TIMEOUT_MS), HTTP_HEADERS_TIMEOUT_MS: '1000' },
    overrides: { engine: createScriptedEngine({ pace: { firstChunkMs: FIRST_CHUNK_MS, chunkIntervalMs: 10 } }) },
    // Tenant A keeps the default rate limits: the floods meet them as an attacker would.
    rateLimitsA: { messagesPerMinute: 30, requestsPerMinute: 120, chatsPerHour: 60 },
  });
  const { tp, a, b } = ap;
  const sockets: WsTestClient[] = [];
  t.after(async () => {
    await Promise.all(sockets.map((ws) => ws.close().catch(() => undefined)));
    await tp.close();
  });

  const { ws: control } = await connectAndJoin(tp.wsUrl({}, b.id), { token: await tp.mintToken({ tenantId: b.id, sub: 'control' }), create: true }, { localAddress: '127.0.0.2' });
  sockets.push(control);
  const unloaded: number[] = [];
  for (let i = 0; i < UNLOADED_QUESTIONS; i += 1) unloaded.push(await timeToFirstChunk(control, `unloaded ${i}`));
  const baseline = median(unloaded);
  const bound = Math.min(5 * baseline, 2_000);
  t.diagnostic(`control visitor unloaded first chunk: median ${baseline.toFixed(0)} ms (all ${unloaded.map((v) => v.toFixed(0)).join(', ')}); bound ${bound.toFixed(0)} ms`);

  let stopFlooding = false;
  const { result, beforeBytes, peakBytes } = await trackRss(async () => {
    // 1. A connection flood from one address.
    const flood = await Promise.allSettled(Array.from({ length: CONNECTION_FLOOD }, () => connectWs(tp.wsUrl({}, a.id), { localAddress: '127.0.0.50' })));
    const accepted = flood.filter((r): r is PromiseFulfilledResult<WsTestClient> => r.status === 'fulfilled').map((r) => r.value);
    sockets.push(...accepted);

    // 2. Joined sockets flooding frames as fast as they can write.
    const flooders = await Promise.all(
      Array.from({ length: FRAME_FLOODERS }, async (_, i) => (await connectAndJoin(tp.wsUrl({}, a.id), { token: await tp.mintToken({ tenantId: a.id, sub: `flooder-${i}` }), create: true }, { localAddress: `127.0.0.${60 + i}` })).ws),
    );
    sockets.push(...flooders);
    const frameFlood = (async () => {
      while (!stopFlooding) {
        for (const ws of flooders) {
          if (ws.socket.readyState !== ws.socket.OPEN) continue;
          for (let n = 0; n < 50; n += 1) ws.sendRaw(n % 2 === 0 ? '{"type":"ping"}' : '{"type":"nonsense","data":{}}');
        }
        await sleep(20);
      }
    })();

    // 3. Slow readers: paused sockets asking for answers and sending 60 KB stop_generation frames.
    const readers = await Promise.all(
      Array.from({ length: SLOW_READERS }, async (_, i) => (await connectAndJoin(tp.wsUrl({}, a.id), { token: await tp.mintToken({ tenantId: a.id, sub: `slow-${i}` }), create: true }, { localAddress: `127.0.0.${80 + i}` })).ws),
    );
    sockets.push(...readers);
    const bigChatId = 'c'.repeat(60_000);
    for (const ws of readers) {
      (ws.socket as unknown as { _socket: Socket })._socket.pause();
      ws.send({ type: 'user_message', data: { text: 'a long answer please' } });
    }
    const slowReaderFlood = (async () => {
      while (!stopFlooding) {
        for (const ws of readers) if (ws.socket.readyState === ws.socket.OPEN) ws.send({ type: 'stop_generation', data: { chat_id: bigChatId } });
        await sleep(30);
      }
    })();

    // 4. Slow bodies, 5. a REST burst.
    const slowBodies = Promise.all(Array.from({ length: SLOW_BODIES }, (_, i) => slowBody(tp.port, `127.0.0.${100 + (i % 20)}`, a.id)));
    const restBurst = Promise.allSettled(Array.from({ length: REST_BURST }, () => fetch(`${tp.url}/api/v1/chat/config?tenant_id=${a.id}`).then((r) => r.status)));

    await sleep(300);
    const loaded: number[] = [];
    for (let i = 0; i < LOADED_QUESTIONS; i += 1) loaded.push(await timeToFirstChunk(control, `loaded ${i}`));
    const slow = await slowBodies;
    stopFlooding = true;
    await Promise.all([frameFlood, slowReaderFlood]);
    const restStatuses = (await restBurst).map((r) => (r.status === 'fulfilled' ? r.value : 0));
    return { accepted: accepted.length, loaded, slow, restStatuses };
  });

  const { accepted, loaded, slow, restStatuses } = result;
  const slowest = Math.max(...slow.map((s) => s.closedAfterMs));
  t.diagnostic(`connection flood: ${accepted} of ${CONNECTION_FLOOD} upgrades from one address accepted (limit ${tp.config.wsMaxConnectionsPerAddress})`);
  t.diagnostic(`control visitor under load: ${loaded.map((v) => v.toFixed(0)).join(', ')} ms (bound ${bound.toFixed(0)} ms)`);
  t.diagnostic(`slow bodies: ${slow.length} closed, the last after ${slowest} ms (${[...new Set(slow.map((s) => s.status || 'no answer'))].join(' / ')})`);
  t.diagnostic(`REST burst statuses: ${JSON.stringify(restStatuses.reduce<Record<number, number>>((acc, s) => ({ ...acc, [s]: (acc[s] ?? 0) + 1 }), {}))}`);
  t.diagnostic(`RSS ${Math.round(beforeBytes / MiB)} → peak ${Math.round(peakBytes / MiB)} MiB`);

  assert.ok(accepted <= tp.config.wsMaxConnectionsPerAddress, `${accepted} sockets accepted from one address (limit ${tp.config.wsMaxConnectionsPerAddress})`);
  for (const [i, latency] of loaded.entries()) assert.ok(latency < bound, `control question ${i} under load: first chunk after ${latency.toFixed(0)} ms (bound ${bound.toFixed(0)} ms, unloaded median ${baseline.toFixed(0)} ms)`);
  assert.ok(slowest < HTTP_REQUEST_TIMEOUT_MS + 3_000, `a slow body was held ${slowest} ms (request timeout ${HTTP_REQUEST_TIMEOUT_MS} ms)`);
  assert.ok(!restStatuses.some((s) => s >= 500 || s === 0), `REST burst: ${restStatuses.filter((s) => s >= 500 || s === 0).length} failed or 5xx`);
  assert.ok(peakBytes - beforeBytes < RSS_GROWTH_LIMIT, `RSS grew by ${Math.round((peakBytes - beforeBytes) / MiB)} MiB (limit ${RSS_GROWTH_LIMIT / MiB} MiB)`);
  assert.equal((await fetch(`${tp.url}/readyz`)).status, 200, 'ready after the floods');
});

test('unfinished fragmented messages are cut off before and after the join, however many pongs keep them company', { timeout: 30_000 }, async (t) => {
  const PARTIAL_TIMEOUT_MS = 800;
  const ap = await startAdversarialPlatform({ env: { WS_PARTIAL_FRAME_TIMEOUT_MS: String(PARTIAL_TIMEOUT_MS) } });
  const { tp, a } = ap;
  const sockets: WsTestClient[] = [];
  t.after(async () => {
    await Promise.all(sockets.map((ws) => ws.close().catch(() => undefined)));
    await tp.close();
  });
  const started = Date.now();
  const open = async (i: number, join: boolean) => {
    const localAddress = `127.0.3.${10 + i}`;
    const ws = join
      ? (await connectAndJoin(tp.wsUrl({}, a.id), { token: await tp.mintToken({ tenantId: a.id, sub: `fragments-${i}` }), create: true }, { localAddress })).ws
      : await connectWs(tp.wsUrl({}, a.id), { localAddress });
    sockets.push(ws);
    return ws;
  };
  // The first fragment of a message that never ends, then an unsolicited pong every 100 ms: a pong
  // is allowed between fragments and must not count as the message making progress.
  const unfinished = async (ws: WsTestClient) => {
    ws.socket.send('{"type":"user_message","data":{"text":"' + 'x'.repeat(4096), { fin: false });
    const timer = setInterval(() => ws.socket.readyState === ws.socket.OPEN && ws.socket.pong(), 100);
    try {
      return await ws.waitForClose(PARTIAL_TIMEOUT_MS + 4_000);
    } finally {
      clearInterval(timer);
    }
  };
  // Fragments piling up before the join, past what a join may weigh (a join is < 10 KB).
  const piling = async (ws: WsTestClient) => {
    for (let i = 0; i < 16 && ws.socket.readyState === ws.socket.OPEN; i += 1) ws.socket.send('x'.repeat(4096), { fin: false });
    return ws.waitForClose(4_000);
  };
  const results = await Promise.all([
    ...Array.from({ length: 8 }, async (_, i) => ({ kind: 'unfinished before the join', close: await unfinished(await open(i, false)) })),
    ...Array.from({ length: 8 }, async (_, i) => ({ kind: 'unfinished after the join', close: await unfinished(await open(20 + i, true)) })),
    ...Array.from({ length: 8 }, async (_, i) => ({ kind: 'piling up before the join', close: await piling(await open(40 + i, false)) })),
  ]);
  const elapsed = Date.now() - started;
  const summary = results.reduce<Record<string, number[]>>((acc, r) => ({ ...acc, [r.kind]: [...(acc[r.kind] ?? []), r.close.code] }), {});
  t.diagnostic(`closes: ${JSON.stringify(summary)}; all closed within ${elapsed} ms`);
  for (const { kind, close } of results) {
    assert.notEqual(close.code, 1011, `${kind}: closed 1011`);
    assert.ok(close.code === 1009 || close.code === 1013, `${kind}: closed with ${close.code} ${close.reason} (expected 1013, or 1009 for too much)`);
  }
  assert.ok(summary['piling up before the join']!.every((code) => code === 1009), 'fragments over the join limit close with 1009');
});
