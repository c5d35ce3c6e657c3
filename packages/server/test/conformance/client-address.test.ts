/**
 * The client address behind a proxy (TRUST_PROXY), the same for REST and the WebSocket handshake:
 * rate limits count real visitors, a forged X-Forwarded-For changes nothing, and visitors behind
 * the same proxy do not share one budget. The proxy is a real one (@miptech/testing/forwarding-proxy.ts,
 * nginx's `$proxy_add_x_forwarded_for`); the visitors are real peers on 127.0.0.2 / 127.0.0.3.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/base/config.ts';
import { startForwardingProxy, requestFrom } from '@miptech/testing/forwarding-proxy.ts';
import { ALLOWED_TEST_ORIGIN, startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectWs } from '@miptech/testing/ws-test-client.ts';

const VISITOR_A = '127.0.0.2';
const VISITOR_B = '127.0.0.3';

function wsUrlThrough(proxyPort: number, tenantId: string): string {
  return `ws://127.0.0.1:${proxyPort}/api/v1/ws/chat?tenant_id=${tenantId}`;
}

/** One live-widget style chat creation over a new socket: 'created' or the error code (with the close code). */
async function createOverWs(url: string, localAddress: string, headers: Record<string, string> = {}): Promise<string> {
  const ws = await connectWs(url, { origin: ALLOWED_TEST_ORIGIN, localAddress, headers });
  try {
    ws.send({ type: 'join_chat', data: { channel: 'website', create: true } });
    const frame = await ws.waitFor((f) => f.type === 'chat_joined' || f.type === 'error');
    if (frame.type === 'chat_joined') return 'created';
    const closed = await ws.waitForClose();
    return `${String(frame.data.code)}/${closed.code}`;
  } finally {
    await ws.close();
  }
}

async function platformWithLimits(t: { after(fn: () => Promise<void>): void }, env: Record<string, string>, limits: { requestsPerMinute: number; chatsPerHour: number }) {
  const tp: TestPlatform = await startTestPlatform({ env });
  t.after(() => tp.close());
  const tenant = await tp.createTenant(`addr-${Date.now().toString(36)}`, { anonymousWidget: true, rateLimits: { messagesPerMinute: 100, ...limits } });
  return { tp, tenantId: tenant.tenant.id };
}

describe('TRUST_PROXY=true: the address the nearest proxy appended', () => {
  test('a forged X-Forwarded-For does not escape the REST rate limit; another visitor behind the proxy has its own budget', async (t) => {
    const { tp, tenantId } = await platformWithLimits(t, { TRUST_PROXY: 'true' }, { requestsPerMinute: 3, chatsPerHour: 100 });
    const proxy = await startForwardingProxy(tp.port);
    t.after(() => proxy.close());
    const token = await tp.mintToken({ tenantId });
    const get = (from: string, forged: string) =>
      requestFrom(from, 'GET', `${proxy.url}/api/v1/chat/chat_unknown`, {
        headers: { authorization: `Bearer ${token}`, 'x-tenant-id': tenantId, 'x-forwarded-for': forged },
      });
    const statuses: number[] = [];
    for (let i = 0; i < 5; i += 1) statuses.push((await get(VISITOR_A, `198.51.100.${i + 1}`)).status);
    assert.deepEqual(statuses, [404, 404, 404, 429, 429], 'every forged address counted as the same visitor');
    assert.equal((await get(VISITOR_B, '198.51.100.1')).status, 404, 'a second visitor behind the same proxy is not limited');
  });

  test('WebSocket chat creation counts per visitor behind the proxy (not per proxy), shares the count with REST, and ignores forged addresses', async (t) => {
    const { tp, tenantId } = await platformWithLimits(t, { TRUST_PROXY: 'true' }, { requestsPerMinute: 100, chatsPerHour: 2 });
    const proxy = await startForwardingProxy(tp.port);
    t.after(() => proxy.close());
    const url = wsUrlThrough(proxy.port, tenantId);
    assert.equal(await createOverWs(url, VISITOR_A), 'created');
    assert.equal(await createOverWs(url, VISITOR_A, { 'x-forwarded-for': '198.51.100.7' }), 'created');
    assert.equal(await createOverWs(url, VISITOR_A, { 'x-forwarded-for': '198.51.100.8' }), 'rate_limited/1013');
    // The same visitor over REST: the same key, so the same spent budget.
    const rest = await requestFrom(VISITOR_A, 'POST', `${proxy.url}/api/v1/chat`, {
      headers: { origin: ALLOWED_TEST_ORIGIN, 'x-tenant-id': tenantId },
      body: {},
    });
    assert.equal(rest.status, 429);
    // Another visitor of the same tenant behind the same proxy.
    assert.equal(await createOverWs(url, VISITOR_B), 'created');
    assert.equal(await createOverWs(url, VISITOR_B), 'created');
  });
});

describe('TRUST_PROXY with proxy addresses', () => {
  test('only the listed proxy is believed: a client that goes around it cannot name another address', async (t) => {
    // The proxy connects to the platform from 127.0.0.1.
    const { tp, tenantId } = await platformWithLimits(t, { TRUST_PROXY: '127.0.0.1/32' }, { requestsPerMinute: 100, chatsPerHour: 1 });
    const proxy = await startForwardingProxy(tp.port);
    t.after(() => proxy.close());
    const direct = tp.wsUrl({}, tenantId);
    assert.equal(await createOverWs(direct, VISITOR_A, { 'x-forwarded-for': '198.51.100.1' }), 'created');
    assert.equal(await createOverWs(direct, VISITOR_A, { 'x-forwarded-for': '198.51.100.2' }), 'rate_limited/1013');
    // Through the proxy, visitor B is told apart from A (and from the proxy).
    assert.equal(await createOverWs(wsUrlThrough(proxy.port, tenantId), VISITOR_B), 'created');
    assert.equal(await createOverWs(wsUrlThrough(proxy.port, tenantId), VISITOR_B), 'rate_limited/1013');
  });
});

describe('TRUST_PROXY unset', () => {
  test('X-Forwarded-For is ignored: the socket peer is the address', async (t) => {
    const { tp, tenantId } = await platformWithLimits(t, {}, { requestsPerMinute: 100, chatsPerHour: 1 });
    const url = tp.wsUrl({}, tenantId);
    assert.equal(await createOverWs(url, VISITOR_A, { 'x-forwarded-for': '198.51.100.1' }), 'created');
    assert.equal(await createOverWs(url, VISITOR_A, { 'x-forwarded-for': '198.51.100.2' }), 'rate_limited/1013');
    assert.equal(await createOverWs(url, VISITOR_B), 'created');
  });
});

describe('TRUST_PROXY parsing', () => {
  const base = { DATA_DIR: mkdtempSync(join(tmpdir(), 'miptech-trust-proxy-')) };
  after(() => rmSync(base.DATA_DIR, { recursive: true, force: true }));
  test('false, true (one hop), a hop count, or proxy addresses/CIDRs', () => {
    const cases: Array<[string | undefined, unknown]> = [
      [undefined, false],
      ['false', false],
      ['0', false],
      ['true', 1],
      ['1', 1],
      ['2', 2],
      ['10.0.0.0/8, 127.0.0.1 ,::1', ['10.0.0.0/8', '127.0.0.1', '::1']],
      ['loopback', ['loopback']],
    ];
    for (const [value, expected] of cases) {
      assert.deepEqual(loadConfig({ ...base, ...(value === undefined ? {} : { TRUST_PROXY: value }) }).trustProxy, expected, String(value));
    }
  });

  test('bad values are reported together with the other problems', () => {
    for (const [value, fragment] of [
      ['nginx', '"nginx"'],
      ['10.0.0.0/33,127.0.0.1,', '"10.0.0.0/33", ""'],
      ['17', 'hop count'],
    ] as const) {
      assert.throws(
        () => loadConfig({ ...base, TRUST_PROXY: value, PORT: 'eighty' }),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.equal(error.problems.length, 2, error.message);
          assert.ok(error.problems.some((problem) => problem.startsWith('TRUST_PROXY') && problem.includes(fragment)), error.message);
          return true;
        },
      );
    }
  });
});
