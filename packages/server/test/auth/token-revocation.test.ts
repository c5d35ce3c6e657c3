/**
 * Token revocation: a tenant invalidates every token issued before a moment, or one `sub`'s, with
 * POST /api/v1/admin/tokens/revoke and its secret key. Enforced on REST, WebSocket joins and
 * widget-token renewals (token_revoked), kept in the database (a restart keeps it), seen by other
 * nodes after the per-node cache time.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import { createTokenRevocations } from '../../src/auth/token-revocations.ts';
import { api } from '@miptech/testing/api-client.ts';
import { ALLOWED_TEST_ORIGIN, startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectWs } from '@miptech/testing/ws-test-client.ts';

let tp: TestPlatform;
let secretKey: string;
let publishableKey: string;
const TENANT = 'revoking-tenant';
const OTHER = 'bystander-tenant';

before(async () => {
  tp = await startTestPlatform();
  const created = await tp.createTenant(TENANT);
  secretKey = created.secretKey;
  publishableKey = created.tenant.publishableKey;
  await tp.createTenant(OTHER);
});
after(() => tp.close());

function revoke(body: Record<string, unknown>, key = secretKey) {
  return api(tp.url, 'POST', '/api/v1/admin/tokens/revoke', { headers: { authorization: `Bearer ${key}` }, body });
}

/** A token of `tenantId` for `sub` issued at `iat` (seconds). */
function tokenIssuedAt(tenantId: string, sub: string, iat: number, extra: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT({ tenant_id: tenantId, scope: ['chat:create', 'chat:send'], ...extra })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt(iat)
    .setExpirationTime(Math.max(iat, now()) + 3600)
    .sign(new TextEncoder().encode(tp.config.jwtSecret!));
}

const createChat = (token: string, tenantId = TENANT) => api(tp.url, 'POST', '/api/v1/chat', { token, tenantId, body: {} });

async function joinOutcome(token: string, chatId: string, tenantId = TENANT): Promise<{ joined: boolean; code: string | null; close: number | null }> {
  const ws = await connectWs(tp.wsUrl({}, tenantId));
  ws.send({ type: 'join_chat', data: { chat_id: chatId, token } });
  const frame = await ws.waitFor((f) => f.type === 'chat_joined' || f.type === 'error');
  if (frame.type === 'chat_joined') {
    await ws.close();
    return { joined: true, code: null, close: null };
  }
  const closed = await ws.waitForClose();
  return { joined: false, code: (frame.data as { code: string }).code, close: closed.code };
}

const now = () => Math.floor(Date.now() / 1000);

test('per sub: that visitor’s older tokens are refused on REST and WebSocket; others and newer tokens work', async () => {
  const alice = await tokenIssuedAt(TENANT, 'alice', now() - 60);
  const bob = await tokenIssuedAt(TENANT, 'bob', now() - 60);
  const aliceChat = await createChat(alice);
  assert.equal(aliceChat.status, 201, aliceChat.text);

  const res = await revoke({ sub: 'alice' });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.sub, 'alice');
  assert.ok(Date.parse(res.body.revoked_before) / 1000 > now() - 2);

  const refused = await createChat(alice);
  assert.equal(refused.status, 401, refused.text);
  assert.equal(refused.body.code, 'token_revoked');
  assert.deepEqual(await joinOutcome(alice, aliceChat.body.id), { joined: false, code: 'token_revoked', close: 4401 });

  assert.equal((await createChat(bob)).status, 201, 'another sub is not affected');
  const freshAlice = await tokenIssuedAt(TENANT, 'alice', now() + 2);
  assert.equal((await createChat(freshAlice)).status, 201, 'a token issued after the revocation works');
  assert.deepEqual(await joinOutcome(freshAlice, aliceChat.body.id), { joined: true, code: null, close: null });
});

test('tenant-wide: every older token of the tenant (and a token without iat) is refused; another tenant is untouched', async () => {
  const carol = await tokenIssuedAt(TENANT, 'carol', now() - 60);
  const noIat = await new SignJWT({ tenant_id: TENANT, scope: ['chat:create', 'chat:send'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('dave')
    .setExpirationTime(now() + 600)
    .sign(new TextEncoder().encode(tp.config.jwtSecret!));
  const bystander = await tokenIssuedAt(OTHER, 'carol', now() - 60);
  assert.equal((await createChat(carol)).status, 201);
  assert.equal((await createChat(noIat)).status, 201);

  assert.equal((await revoke({})).status, 200);
  for (const token of [carol, noIat]) {
    const res = await createChat(token);
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'token_revoked');
  }
  assert.equal((await createChat(bystander, OTHER)).status, 201, 'another tenant is not affected');
});

test('a revoked widget token cannot be renewed (token_revoked)', async () => {
  const widget = await tokenIssuedAt(TENANT, 'v_erin', now() - 30, { iss: 'miptech:widget', auth_time: now() - 30 });
  const res = await api(tp.url, 'POST', '/api/v1/auth/widget-token', { body: { tenant_id: TENANT, publishable_key: publishableKey, previous_token: widget }, origin: ALLOWED_TEST_ORIGIN });
  assert.equal(res.status, 401, res.text);
  assert.equal(res.body.code, 'token_revoked');
});

test('bad requests: a future or unparsable `before` → 422, no key or a wrong one → 401, documented in OpenAPI', async () => {
  const future = await revoke({ before: new Date(Date.now() + 3600_000).toISOString() });
  assert.equal(future.status, 422);
  assert.equal(future.body.code, 'validation_error');
  assert.equal((await revoke({ before: 'yesterday' })).status, 422);
  assert.equal((await revoke({}, 'sk_wrong')).body.code, 'invalid_api_key');
  const noKey = await api(tp.url, 'POST', '/api/v1/admin/tokens/revoke', { body: {} });
  assert.equal(noKey.status, 401);
  const openapi = await api(tp.url, 'GET', '/api/v1/openapi.json');
  assert.ok(openapi.body.paths['/api/v1/admin/tokens/revoke']?.post, 'the route is in the OpenAPI document');
});

test('an explicit past `before` revokes only tokens issued before it, and a later call never moves it back', async () => {
  const t = now();
  const old = await tokenIssuedAt(TENANT, 'frank', t - 7200);
  const recent = await tokenIssuedAt(TENANT, 'frank', t + 5);
  const res = await revoke({ sub: 'frank', before: new Date((t - 3600) * 1000).toISOString() });
  assert.equal(res.status, 200, res.text);
  assert.equal((await createChat(old)).body.code, 'token_revoked');
  assert.equal((await createChat(recent)).status, 201);
  const earlier = await revoke({ sub: 'frank', before: new Date((t - 86_400) * 1000).toISOString() });
  assert.equal(earlier.body.revoked_before, new Date((t - 3600) * 1000).toISOString());
});

test('revocations are stored: still in force after a restart', async () => {
  const grace = await tokenIssuedAt(TENANT, 'grace', now() - 60);
  assert.equal((await revoke({ sub: 'grace' })).status, 200);
  tp = await tp.restart();
  assert.equal((await createChat(grace)).body.code, 'token_revoked');
});

test('another node sees a revocation once its cache time passes', async () => {
  let clockMs = Date.now();
  const otherNode = createTokenRevocations(tp.platform.services.store.tokenRevocations, { ttlMs: 5_000, clock: { now: () => clockMs } });
  // Another tenant than the one revoked wholesale above.
  const token = { tenantId: OTHER, subject: 'henry', issuedAt: now() - 60, scopes: [], expiresAt: now() + 600, issuer: null, authTime: null, notBefore: null };
  await otherNode.check(token);
  // This node records it; the other still has its cached (empty) view...
  await tp.platform.services.tokenRevocations.revoke(OTHER, 'henry', now() + 1);
  await otherNode.check(token);
  clockMs += 4_000;
  await otherNode.check(token);
  // ...until its cache time has passed.
  clockMs += 1_500;
  await assert.rejects(otherNode.check(token), { code: 'token_revoked' });
});
