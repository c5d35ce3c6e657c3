/**
 * The guide's client (@miptech/client) and the per-address connection limit: a refused upgrade
 * (429, which the client sees as a failed connection, 1006) is retried with backoff, and the
 * client gets in as soon as a slot is free — the limit delays a client, it does not break it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';
import { nodeClient, waitForSnapshot } from '../support/client-test-helpers.ts';
import { connectWs, type WsTestClient } from '@miptech/testing/ws-test-client.ts';

test('a client refused by WS_MAX_CONNECTIONS_PER_ADDRESS reconnects with backoff and joins once a slot is free', async (t) => {
  const tp = await startTestPlatform({ env: { WS_MAX_CONNECTIONS_PER_ADDRESS: '2' } });
  const held: WsTestClient[] = [];
  t.after(async () => {
    for (const ws of held) await ws.close();
    await tp.close();
  });
  // Two sockets that never join hold both of this address's slots.
  for (let i = 0; i < 2; i += 1) held.push(await connectWs(tp.wsUrl()));
  const client = nodeClient(tp.url, tp.tenantId, {
    getToken: () => tp.mintToken({ sub: 'patient' }),
    reconnect: { baseDelayMs: 50, maxDelayMs: 200, maxAttempts: 100 },
  });
  t.after(() => client.close());
  const connecting = client.connect();
  const refused = await waitForSnapshot(client, (s) => s.connection.state === 'reconnecting', 'a refused connection being retried');
  assert.equal(refused.connection.state, 'reconnecting');
  await held.shift()!.close();
  await connecting;
  const ready = await waitForSnapshot(client, (s) => s.connection.state === 'ready', 'the client joined', 10_000);
  assert.ok(ready.chatId);
});
