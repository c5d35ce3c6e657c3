/**
 * POST /api/v1/auth/widget-token: a browser gets a short-lived visitor JWT without a secret.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, decodeJwt } from 'jose';
import { api } from '@miptech/testing/api-client.ts';
import { ALLOWED_TEST_ORIGIN, startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin } from '@miptech/testing/ws-test-client.ts';

let tp: TestPlatform;
let publishableKey: string;
const TENANT = 'keyed-tenant';

before(async () => {
  tp = await startTestPlatform();
  publishableKey = (await tp.createTenant(TENANT, { anonymousWidget: false })).tenant.publishableKey;
});
after(() => tp.close());

function requestToken(body: Record<string, unknown>, origin: string | undefined = ALLOWED_TEST_ORIGIN) {
  return api(tp.url, 'POST', '/api/v1/auth/widget-token', { body, ...(origin ? { origin } : {}) });
}

test('publishable key + allowed Origin → a short-lived visitor token that creates, joins and chats', async () => {
  const res = await requestToken({ tenant_id: TENANT, publishable_key: publishableKey });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.tenant_id, TENANT);
  assert.match(res.body.visitor_id, /^v_/);
  const claims = decodeJwt(res.body.token);
  assert.equal(claims.sub, res.body.visitor_id);
  assert.equal(claims.tenant_id, TENANT);
  assert.deepEqual(claims.scope, ['chat:create', 'chat:send']);
  assert.equal(claims.exp, res.body.expires_at);
  assert.ok(res.body.expires_at - Date.now() / 1000 <= 3600 + 5);
  assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED_TEST_ORIGIN);

  const chat = await api(tp.url, 'POST', '/api/v1/chat', { token: res.body.token, tenantId: TENANT, body: {} });
  assert.equal(chat.status, 201);
  assert.equal(chat.body.visitor_id, res.body.visitor_id);
  const { ws } = await connectAndJoin(tp.wsUrl({}, TENANT), { chatId: chat.body.id, token: res.body.token });
  await ws.close();
});

/** A widget token as the route signs it (iss, auth_time), with the platform's secret unless told. */
function widgetToken(claims: { sub: string; tenantId?: string; expiresIn: number; authTime?: number }, secret = tp.config.jwtSecret!): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tenant_id: claims.tenantId ?? TENANT, scope: ['chat:create', 'chat:send'], auth_time: claims.authTime ?? now - 600 })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer('miptech:widget')
    .setSubject(claims.sub)
    .setIssuedAt(now - 600)
    .setExpirationTime(now + claims.expiresIn)
    .sign(new TextEncoder().encode(secret));
}

test('previous_token keeps the visitor id (also when it expired within the renewal grace)', async () => {
  const first = await requestToken({ tenant_id: TENANT, publishable_key: publishableKey });
  const renewed = await requestToken({ tenant_id: TENANT, publishable_key: publishableKey, previous_token: first.body.token });
  assert.equal(renewed.body.visitor_id, first.body.visitor_id);
  assert.equal(decodeJwt(renewed.body.token).auth_time, decodeJwt(first.body.token).auth_time, 'a renewal keeps the session start');
  const expired = await widgetToken({ sub: 'v_returning', expiresIn: -120 });
  const again = await requestToken({ tenant_id: TENANT, publishable_key: publishableKey, previous_token: expired });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.visitor_id, 'v_returning');
});

test('a previous token that is forged, too old or of another tenant is refused with its code', async () => {
  for (const [previous, status, code] of [
    [await widgetToken({ sub: 'v_forged', expiresIn: 600 }, 'z'.repeat(40)), 401, 'invalid_token'],
    [await widgetToken({ sub: 'v_ancient', expiresIn: -31 * 24 * 3600 }), 401, 'token_expired'],
    [await widgetToken({ sub: 'v_elsewhere', tenantId: tp.tenantId, expiresIn: 600 }), 403, 'tenant_mismatch'],
  ] as const) {
    const res = await requestToken({ tenant_id: TENANT, publishable_key: publishableKey, previous_token: previous });
    assert.equal(res.status, status, res.text);
    assert.equal(res.body.code, code);
  }
});

test('a wrong publishable key → 401 invalid_api_key; no key without the anonymous policy → 401', async () => {
  const wrong = await requestToken({ tenant_id: TENANT, publishable_key: 'pk_wrong' });
  assert.equal(wrong.status, 401);
  assert.equal(wrong.body.code, 'invalid_api_key');
  const none = await requestToken({ tenant_id: TENANT });
  assert.equal(none.status, 401);
  assert.equal(none.body.code, 'invalid_api_key');
});

test('the anonymous-widget policy allows a token without a key', async () => {
  const res = await requestToken({ tenant_id: tp.tenantId });
  assert.equal(res.status, 200);
  assert.equal(res.body.tenant_id, tp.tenantId);
});

test('no Origin or another Origin → 403 origin_not_allowed', async () => {
  for (const origin of [undefined, 'https://evil.example']) {
    const res = api(tp.url, 'POST', '/api/v1/auth/widget-token', { body: { tenant_id: TENANT, publishable_key: publishableKey }, ...(origin ? { origin } : {}) });
    const answer = await res;
    assert.equal(answer.status, 403);
    assert.equal(answer.body.code, 'origin_not_allowed');
  }
});

test('the publishable key may come as X-API-Key', async () => {
  const res = await api(tp.url, 'POST', '/api/v1/auth/widget-token', { origin: ALLOWED_TEST_ORIGIN, tenantId: TENANT, headers: { 'x-api-key': publishableKey }, body: {} });
  assert.equal(res.status, 200, res.text);
});
