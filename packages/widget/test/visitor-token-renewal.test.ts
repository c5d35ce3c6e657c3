/**
 * The widget's visitor tokens against a real platform: a stored token the server refuses to renew
 * (a tenant-signed token, or one expired beyond the renewal grace) gives a new visitor instead of
 * a widget stuck on an error.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeJwt } from 'jose';
import { ALLOWED_TEST_ORIGIN, startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { createVisitorTokenSource } from '../src/visitor-token-source.ts';
import { memoryStorage } from '../src/safe-storage.ts';

let tp: TestPlatform;
before(async () => {
  tp = await startTestPlatform();
});
after(() => tp.close());

/** fetch as a page on the allowed origin sends it. */
const pageFetch: typeof fetch = (input, init) => fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), origin: ALLOWED_TEST_ORIGIN } });

test('a stored token the server refuses to renew is dropped and a new visitor token is issued', async () => {
  const storage = memoryStorage();
  storage.setItem('visitor_token', await tp.mintToken({ sub: 'v_backend_user', ttlSeconds: -7 * 24 * 3600 }));
  const source = createVisitorTokenSource({ apiUrl: tp.url, tenantId: tp.tenantId, publishableKey: null, storage, fetch: pageFetch });
  const token = await source.getToken();
  const claims = decodeJwt(token);
  assert.notEqual(claims.sub, 'v_backend_user');
  assert.equal(storage.getItem('visitor_token'), token);
  // The new token renews normally: same visitor.
  assert.equal(decodeJwt(await source.getToken()).sub, claims.sub);
});
