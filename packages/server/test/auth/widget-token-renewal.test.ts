/**
 * The JWT attack table against POST /api/v1/auth/widget-token's `previous_token`: every token that
 * must not keep a visitor's identity is refused with a stable code, and nothing is issued.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT, decodeJwt } from 'jose';
import { api } from '@miptech/testing/api-client.ts';
import { ALLOWED_TEST_ORIGIN, startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';

let tp: TestPlatform;
const TENANT = 'renewal-tenant';
const DAY = 24 * 3600;

before(async () => {
  tp = await startTestPlatform();
  await tp.createTenant(TENANT, { anonymousWidget: true });
});
after(() => tp.close());

const now = () => Math.floor(Date.now() / 1000);

interface Claims {
  tenant_id?: string;
  scope?: string[];
  sub?: string | null;
  iss?: string | null;
  iat?: number | null;
  nbf?: number;
  exp?: number;
  auth_time?: number | null;
}

/** A widget-shaped token (iss, auth_time, both visitor scopes, valid 10 min) with these claims changed (null: left out). */
function sign(claims: Claims = {}, header: Record<string, unknown> = { alg: 'HS256', typ: 'JWT' }): Promise<string> {
  const t = now();
  const payload: Record<string, unknown> = {
    tenant_id: TENANT,
    scope: ['chat:create', 'chat:send'],
    sub: 'v_victim',
    iss: 'miptech:widget',
    iat: t - 60,
    exp: t + 600,
    auth_time: t - 60,
    ...claims,
  };
  for (const key of Object.keys(payload)) if (payload[key] === null) delete payload[key];
  return new SignJWT(payload).setProtectedHeader(header as { alg: string }).sign(new TextEncoder().encode(tp.config.jwtSecret!));
}

/** An unsigned token (`alg: none`). */
function unsigned(): string {
  const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const t = now();
  return `${part({ alg: 'none', typ: 'JWT' })}.${part({ tenant_id: TENANT, scope: ['chat:create', 'chat:send'], sub: 'v_victim', iss: 'miptech:widget', iat: t, exp: t + 600, auth_time: t })}.`;
}

function renew(previous: string) {
  return api(tp.url, 'POST', '/api/v1/auth/widget-token', { body: { tenant_id: TENANT, previous_token: previous }, origin: ALLOWED_TEST_ORIGIN });
}

test('a valid widget token is renewed: same sub, same auth_time, same scopes, through a chain', async () => {
  const first = await renew(await sign({ auth_time: now() - 3 * DAY }));
  assert.equal(first.status, 200, first.text);
  assert.equal(first.body.visitor_id, 'v_victim');
  const second = await renew(first.body.token);
  assert.equal(second.status, 200, second.text);
  const claims = decodeJwt(second.body.token);
  assert.equal(claims.sub, 'v_victim');
  assert.equal(claims.iss, 'miptech:widget');
  assert.equal(claims.auth_time, decodeJwt(first.body.token).auth_time);
  assert.ok(Math.abs((claims.auth_time as number) - (now() - 3 * DAY)) <= 2);
  assert.deepEqual(claims.scope, ['chat:create', 'chat:send']);
});

test('a widget token expired within the grace (5 min) is renewed', async () => {
  const res = await renew(await sign({ exp: now() - 240 }));
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.visitor_id, 'v_victim');
});

test('the JWT attack table: each refused with a stable code, no token issued', async () => {
  const t = now();
  const table: Array<[string, Promise<string> | string, number, string]> = [
    ['expired beyond the grace (10 min ago)', sign({ exp: t - 600 }), 401, 'token_expired'],
    ['expired 7 days ago', sign({ exp: t - 7 * DAY, iat: t - 7 * DAY - 3600 }), 401, 'token_expired'],
    ['nbf in the future', sign({ nbf: t + 120 }), 401, 'invalid_token'],
    ['alg none', unsigned(), 401, 'invalid_token'],
    ['alg HS512', sign({}, { alg: 'HS512', typ: 'JWT' }), 401, 'invalid_token'],
    ['another secret', new SignJWT({ tenant_id: TENANT, sub: 'v_victim', iss: 'miptech:widget', exp: t + 600, iat: t, auth_time: t }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('x'.repeat(40))), 401, 'invalid_token'],
    ['wrong issuer', sign({ iss: 'acme-backend' }), 401, 'token_not_renewable'],
    ['tenant-backend token (no iss, as the CLI signs)', tp.mintToken({ tenantId: TENANT, sub: 'v_victim' }), 401, 'token_not_renewable'],
    ['scope widening (only chat:send before)', sign({ scope: ['chat:send'] }), 401, 'token_not_renewable'],
    ['no sub', sign({ sub: null }), 401, 'token_not_renewable'],
    ['chained renewals past the max session age (auth_time 31 days ago)', sign({ auth_time: t - 31 * DAY }), 401, 'token_not_renewable'],
    ['no auth_time and no iat', sign({ auth_time: null, iat: null }), 401, 'token_not_renewable'],
    ['another tenant', sign({ tenant_id: tp.tenantId }), 403, 'tenant_mismatch'],
  ];
  const outcomes: string[] = [];
  for (const [name, token, status, code] of table) {
    const res = await renew(await token);
    outcomes.push(`${name}: ${res.status} ${res.body?.code ?? ''}`);
    assert.equal(res.status, status, `${name}: ${res.text}`);
    assert.equal(res.body.code, code, name);
    assert.equal(res.body.token, undefined, name);
  }
  assert.equal(outcomes.length, table.length);
});

test('a token the route issues carries the widget issuer and a fresh auth_time', async () => {
  const res = await api(tp.url, 'POST', '/api/v1/auth/widget-token', { body: { tenant_id: TENANT }, origin: ALLOWED_TEST_ORIGIN });
  assert.equal(res.status, 200, res.text);
  const claims = decodeJwt(res.body.token);
  assert.equal(claims.iss, 'miptech:widget');
  assert.ok(Math.abs((claims.auth_time as number) - now()) <= 2);
});
