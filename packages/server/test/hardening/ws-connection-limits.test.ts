/**
 * Open WebSockets per client address and in total (WS_MAX_CONNECTIONS_PER_ADDRESS,
 * WS_MAX_CONNECTIONS), counted at the upgrade, before any join: over a limit the upgrade is refused
 * with 429, Retry-After and the typed body `too_many_connections`; a closed socket gives its slot
 * back. The address is the one REST rate limits use (TRUST_PROXY applied).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';
import { waitFor } from '@miptech/testing/wait-for.ts';
import { rawUpgrade, type UpgradeAnswer } from './raw-ws-upgrade.ts';

const METRICS_TOKEN = 'scrape-me-please-0123456789';

function assertRefused(answer: UpgradeAnswer): void {
  assert.equal(answer.status, 429);
  assert.equal(answer.headers['retry-after'], '5');
  const body = JSON.parse(answer.body);
  assert.equal(body.code, 'too_many_connections');
  assert.equal(body.retry_after, 5);
  assert.equal(typeof body.request_id, 'string');
}

test('per address and in total: the upgrade over a limit is refused with 429 too_many_connections; a closed socket frees its slot', async (t) => {
  const tp = await startTestPlatform({ env: { WS_MAX_CONNECTIONS_PER_ADDRESS: '3', WS_MAX_CONNECTIONS: '5', METRICS_TOKEN } });
  const held: Socket[] = [];
  t.after(async () => {
    for (const socket of held) socket.destroy();
    await tp.close();
  });
  const open = async (localAddress: string) => {
    const answer = await rawUpgrade(tp.wsUrl(), { localAddress });
    if (answer.socket) held.push(answer.socket);
    return answer;
  };

  for (let i = 0; i < 3; i += 1) assert.equal((await open('127.0.0.1')).status, 101, `socket ${i + 1} of 127.0.0.1`);
  assertRefused(await open('127.0.0.1'));
  // Another address still gets in, up to the total.
  assert.equal((await open('127.0.0.2')).status, 101);
  assert.equal((await open('127.0.0.2')).status, 101);
  assertRefused(await open('127.0.0.3'));

  // A socket that goes away gives its slot back (no join ever happened on any of them).
  held.shift()!.destroy();
  await waitFor('a freed slot', async () => {
    const answer = await open('127.0.0.3');
    return answer.status === 101 ? true : null;
  });
  assertRefused(await open('127.0.0.1'));

  const metrics = await fetch(`${tp.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } }).then((res) => res.text());
  // Three refusals above, plus any retry of the freed-slot wait that came before the close was seen.
  const counted = Number(/miptech_rate_limit_rejections_total\{limit="ws_connections"\} (\d+)/.exec(metrics)?.[1]);
  assert.ok(counted >= 3, `every refusal is counted (${counted})`);
});

test('3,000 upgrades from one address: the first WS_MAX_CONNECTIONS_PER_ADDRESS are accepted, the rest refused', async (t) => {
  const tp = await startTestPlatform({ env: { WS_MAX_CONNECTIONS_PER_ADDRESS: '64' } });
  const held: Socket[] = [];
  t.after(async () => {
    for (const socket of held) socket.destroy();
    await tp.close();
  });
  const statuses = new Map<number, number>();
  for (let batch = 0; batch < 30; batch += 1) {
    const answers = await Promise.all(Array.from({ length: 100 }, () => rawUpgrade(tp.wsUrl())));
    for (const answer of answers) {
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (answer.socket) held.push(answer.socket);
    }
  }
  assert.deepEqual(Object.fromEntries(statuses), { 101: 64, 429: 2936 });
});

test('behind a trusted proxy the limit counts the forwarded client address, as REST does', async (t) => {
  const tp = await startTestPlatform({ env: { WS_MAX_CONNECTIONS_PER_ADDRESS: '2', TRUST_PROXY: 'true' } });
  const held: Socket[] = [];
  t.after(async () => {
    for (const socket of held) socket.destroy();
    await tp.close();
  });
  const open = async (forwardedFor: string) => {
    const answer = await rawUpgrade(tp.wsUrl(), { headers: { 'X-Forwarded-For': forwardedFor } });
    if (answer.socket) held.push(answer.socket);
    return answer;
  };
  assert.equal((await open('203.0.113.7')).status, 101);
  assert.equal((await open('203.0.113.7')).status, 101);
  assertRefused(await open('203.0.113.7'));
  assert.equal((await open('203.0.113.8')).status, 101, 'another client behind the same proxy');
});
