// Not a test (npm test does not run it): NODE_OPTIONS=--conditions=@miptech/source node --import tsx packages/server/test/hardening/measure-ws-limits.ts
// Bounded measurement on 127.0.0.1: (a) 3,000 upgrades from one address; (b) 200 sockets (from
// 127.0.0.1-127.0.0.4, 50 each) each sending an unfinished 4 MiB fragmented message; server RSS.
import WebSocket from 'ws';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';
import { rawUpgrade } from './raw-ws-upgrade.ts';
import { connectAndJoin } from '@miptech/testing/ws-test-client.ts';

const mib = (n: number) => Math.round(n / 1024 / 1024);
const tp = await startTestPlatform({ env: { WS_HEARTBEAT_INTERVAL_MS: '600000', WS_JOIN_TIMEOUT_MS: '600000' } });
const statuses: Record<number, number> = {};
const held: any[] = [];
for (let batch = 0; batch < 30; batch += 1) {
  const answers = await Promise.all(Array.from({ length: 100 }, () => rawUpgrade(tp.wsUrl())));
  for (const a of answers) { statuses[a.status] = (statuses[a.status] ?? 0) + 1; if (a.socket) held.push(a.socket); }
}
console.log('upgrades from one address:', JSON.stringify(statuses));
for (const s of held) s.destroy();
await new Promise((r) => setTimeout(r, 500));
global.gc?.();
const rssBefore = process.memoryUsage().rss;
const sockets: WebSocket[] = [];
const closes: Record<string, number> = {};
const fragment = Buffer.alloc(64 * 1024, 0x20).toString();
const started = Date.now();
await Promise.all(Array.from({ length: 200 }, (_, i) => new Promise<void>((resolve) => {
  const ws = new WebSocket(tp.wsUrl(), { localAddress: `127.0.0.${1 + (i % 4)}`, perMessageDeflate: false });
  sockets.push(ws);
  ws.on('error', () => undefined);
  ws.on('close', (code) => { closes[code] = (closes[code] ?? 0) + 1; resolve(); });
  ws.on('open', async () => {
    for (let sent = 0; sent < 64 && ws.readyState === ws.OPEN; sent += 1) {
      await new Promise<void>((r) => ws.send(fragment, { fin: false }, () => r()));
    }
    resolve();
  });
})));
await new Promise((r) => setTimeout(r, 1000));
const rssAfter = process.memoryUsage().rss;
const open = sockets.filter((ws) => ws.readyState === ws.OPEN).length;
console.log(`200 unfinished 4 MiB messages: ${open} sockets still open, closes ${JSON.stringify(closes)}, RSS ${mib(rssBefore)} → ${mib(rssAfter)} MiB (client and server in one process) in ${Date.now() - started} ms`);
for (const ws of sockets) ws.terminate();
await new Promise((r) => setTimeout(r, 1000));

// (c) 24 joined readers that stop reading, each sending stop_generation with a 60 KB chat_id at
// the flood limit (40 a second) for 10 s: what the server queues for them.
const token = await tp.mintToken();
const readers = await Promise.all(Array.from({ length: 24 }, (_, i) => connectAndJoin(tp.wsUrl(), { create: true, token }, { localAddress: `127.0.0.${1 + (i % 4)}` })));
const rssReaders = process.memoryUsage().rss;
const stop = JSON.stringify({ type: 'stop_generation', data: { chat_id: 'c'.repeat(60_000) } });
for (const { ws } of readers) ws.socket.pause();
let peak = rssReaders;
for (let tick = 0; tick < 40; tick += 1) {
  for (const { ws } of readers) for (let i = 0; i < 10 && ws.socket.readyState === ws.socket.OPEN; i += 1) ws.socket.send(stop);
  await new Promise((r) => setTimeout(r, 250));
  peak = Math.max(peak, process.memoryUsage().rss);
}
console.log(`24 paused readers, stop_generation with a 60 KB chat_id for 10 s: peak RSS ${mib(rssReaders)} → ${mib(peak)} MiB`);
for (const { ws } of readers) ws.socket.terminate();
await tp.close();
process.exit(0);
