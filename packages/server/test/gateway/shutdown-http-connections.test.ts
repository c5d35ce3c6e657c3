/**
 * A graceful close does not wait for a browser's HTTP connections: an idle keep-alive socket and a
 * pre-connected socket that never sent a request are closed right after the WebSockets got 1001,
 * while an answer still has its grace period (they used to hold close() for the keep-alive timeout).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { within } from '../engines/engine-fixtures.ts';
import { createScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin } from '@miptech/testing/ws-test-client.ts';

function rawSocket(port: number) {
  const socket = net.connect(port, '127.0.0.1');
  const received: Buffer[] = [];
  socket.on('data', (data) => received.push(data));
  socket.on('error', () => undefined);
  const connected = new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  return { socket, received, connected, closed };
}

test('close() drops idle keep-alive and pre-connected HTTP sockets at once, while an answer is still in its grace period', async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  const tp = await startTestPlatform({ overrides: { engine: createScriptedEngine({ gate, chunks: ['Finished ', 'in grace.'] }) } });
  let closing: Promise<void> | null = null;
  const sockets: net.Socket[] = [];
  t.after(async () => {
    release();
    for (const socket of sockets) socket.destroy();
    await (closing ?? tp.close());
  });

  const token = await tp.mintToken({ sub: 'grace-visitor' });
  const { ws } = await connectAndJoin(tp.wsUrl(), { token, create: true });
  ws.send({ type: 'user_message', data: { text: 'hello', client_message_id: 'c-1' } });
  await ws.waitFor('response_start');

  // A keep-alive connection that served a request and is idle now, and a browser pre-connect.
  const keepAlive = rawSocket(tp.port);
  sockets.push(keepAlive.socket);
  await keepAlive.connected;
  keepAlive.socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n');
  await within(
    (async () => {
      while (!Buffer.concat(keepAlive.received).toString().includes('healthy')) await new Promise((resolve) => setTimeout(resolve, 10));
    })(),
    5000,
    'the /healthz answer',
  );
  const preconnect = rawSocket(tp.port);
  sockets.push(preconnect.socket);
  await preconnect.connected;

  let closed = false;
  closing = tp.close({ graceMs: 60_000 }).then(() => {
    closed = true;
  });
  assert.equal((await ws.waitForClose()).code, 1001);
  await within(keepAlive.closed, 10_000, 'closing the idle keep-alive socket');
  await within(preconnect.closed, 10_000, 'closing the pre-connected socket');
  assert.equal(closed, false, 'the answer is still in its grace period');

  release();
  await within(closing, 20_000, 'close() after the answer finished');
});
