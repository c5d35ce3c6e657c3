/**
 * The admin API's rate limits: per presented secret key and per client address, each over its
 * limit answered 429 rate_limited with Retry-After; guessing keys counts against the address.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '@miptech/testing/api-client.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';

const PER_KEY = 5;
const PER_ADDRESS = 10;
let tp: TestPlatform;

before(async () => {
  tp = await startTestPlatform({ env: { ADMIN_REQUESTS_PER_MINUTE_PER_KEY: String(PER_KEY), ADMIN_REQUESTS_PER_MINUTE_PER_ADDRESS: String(PER_ADDRESS) } });
});
after(() => tp.close());

const list = (key: string) => api(tp.url, 'GET', '/api/v1/admin/documents', { headers: { authorization: `Bearer ${key}` } });

test('per key, then per address: 429 rate_limited with Retry-After; other routes unaffected', async () => {
  const first = (await tp.createTenant('admin-limit-a')).secretKey;
  const second = (await tp.createTenant('admin-limit-b')).secretKey;
  const statuses: number[] = [];
  for (let i = 0; i < PER_KEY + 1; i += 1) statuses.push((await list(first)).status);
  assert.deepEqual(statuses, [...Array(PER_KEY).fill(200), 429]);
  const limited = await list(first);
  assert.equal(limited.body.code, 'rate_limited');
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  assert.ok(limited.body.retry_after >= 1);

  // Another key from the same address still gets through, until the address's limit (wrong
  // guesses count too).
  const others: number[] = [];
  for (let i = 0; i < 2; i += 1) others.push((await list('sk_guess')).status);
  others.push((await list(second)).status);
  others.push((await list(second)).status);
  // 7 requests from the address before (5 + 2 refused by the key limit), 2 guesses, then 1 left.
  assert.deepEqual(others, [401, 401, 200, 429]);
  assert.equal((await api(tp.url, 'GET', '/healthz')).status, 200, 'not a limit on the rest of the API');
});
