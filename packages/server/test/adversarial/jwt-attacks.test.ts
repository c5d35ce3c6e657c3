/**
 * The JWT attack table (issue #15, adversarial suite), over REST and the WebSocket join: alg none,
 * a wrong secret, RS256 confusion, expired, nbf in the future, another tenant's claim, no sub,
 * scope escalation, oversized and garbage tokens — each refused with its own code, REST with the
 * table's HTTP status, the WebSocket with an error frame and the table's close code. Then the same
 * attacker tokens as `previous_token` of POST /api/v1/auth/widget-token: none of them may come back
 * as a fresh token of the victim's visitor id.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLOSE_CODES, ERROR_CODES } from '@miptech/protocol';
import { api } from '@miptech/testing/api-client.ts';
import { assembleJwt, jwtAttackTable } from '@miptech/testing/jwt-attacks.ts';
import { ALLOWED_TEST_ORIGIN } from '@miptech/testing/test-platform.ts';
import { connectWs } from '@miptech/testing/ws-test-client.ts';
import { assertTypedErrorBody, startAdversarialPlatform } from './adversarial-platform.ts';

const VICTIM = 'jwt-victim-visitor';

test('every JWT attack is refused with its code over REST and the WebSocket join', { timeout: 60_000 }, async (t) => {
  const ap = await startAdversarialPlatform();
  t.after(() => ap.tp.close());
  const { tp, a, b } = ap;
  const victimToken = await tp.mintToken({ tenantId: a.id, sub: VICTIM });
  const chat = await api(tp.url, 'POST', '/api/v1/chat', { token: victimToken, tenantId: a.id, body: {} });
  assert.equal(chat.status, 201, chat.text);
  const chatId = chat.body.id as string;
  const secret = tp.config.jwtSecret;
  assert.ok(secret, 'the platform signs with a secret');
  const attacks = jwtAttackTable({ secret, tenantId: a.id, otherTenantId: b.id, victimSub: VICTIM });

  // The control: the victim's own token is accepted everywhere the attacks are tried.
  assert.equal((await api(tp.url, 'GET', `/api/v1/chat/${chatId}/messages`, { token: victimToken, tenantId: a.id })).status, 200);

  for (const attack of attacks) {
    const restCode = attack.expectRest ?? attack.expect;
    const requests: Array<[string, string, unknown]> = [
      ['GET', `/api/v1/chat/${chatId}`, undefined],
      ['GET', `/api/v1/chat/${chatId}/messages`, undefined],
      ['POST', `/api/v1/chat/${chatId}/messages`, { content: 'attacker message' }],
    ];
    for (const [method, path, body] of requests) {
      const res = await api(tp.url, method, path, { token: attack.token, tenantId: a.id, body });
      const context = `${attack.name}: ${method} ${path}`;
      assertTypedErrorBody(res, context, method);
      assert.equal(res.body?.code, restCode, `${context}: ${res.status} ${res.text.slice(0, 200)}`);
      assert.equal(res.status, ERROR_CODES[restCode].status, context);
    }
    // Creating a chat is refused too, unless the token's only fault is whose chat it reads.
    if (attack.expect !== 'chat_access_denied') {
      const res = await api(tp.url, 'POST', '/api/v1/chat', { token: attack.token, tenantId: a.id, body: {} });
      assertTypedErrorBody(res, `${attack.name}: POST /api/v1/chat`, 'POST');
      assert.equal(res.body?.code, attack.expect, `${attack.name}: POST /api/v1/chat answered ${res.status} ${res.text.slice(0, 200)}`);
    }

    const ws = await connectWs(tp.wsUrl({}, a.id));
    ws.send({ type: 'join_chat', data: { chat_id: chatId, token: attack.token } });
    const closed = await ws.waitForClose(5_000);
    const errors = ws.frames.filter((f) => f.type === 'error').map((f) => f.data.code);
    assert.ok(!ws.frames.some((f) => f.type === 'chat_joined'), `${attack.name}: joined the victim's chat`);
    const wsCode = attack.expectWs ?? attack.expect;
    assert.deepEqual(errors, [wsCode], `${attack.name}: WebSocket join errors`);
    // A malformed join_chat closes as a bad first frame; every other refusal with its code's close.
    const wsClose = wsCode === 'validation_error' ? CLOSE_CODES.badFirstFrame : ERROR_CODES[wsCode].close;
    assert.equal(closed.code, wsClose, `${attack.name}: close code (${closed.reason})`);
  }
  t.diagnostic(`${attacks.length} attacks × (4 REST requests + 1 WebSocket join) refused`);
});

test('no attacker token renews into a token of the victim', { timeout: 30_000 }, async (t) => {
  const ap = await startAdversarialPlatform();
  t.after(() => ap.tp.close());
  const { tp, a, b } = ap;
  const now = Math.floor(Date.now() / 1000);
  const secret = tp.config.jwtSecret;
  assert.ok(secret, 'the platform signs with a secret');
  const widgetClaims = (extra: Record<string, unknown>) => ({ tenant_id: a.id, sub: VICTIM, iss: 'miptech:widget', scope: ['chat:create', 'chat:send'], iat: now - 60, auth_time: now - 60, exp: now + 600, ...extra });
  const hs = { alg: 'HS256', typ: 'JWT' };
  const previousTokens: Array<[string, string]> = [
    ...jwtAttackTable({ secret, tenantId: a.id, otherTenantId: b.id, victimSub: VICTIM })
      .filter((attack) => !/sub missing|another visitor/.test(attack.name))
      .map((attack): [string, string] => [attack.name, attack.token]),
    ['widget token expired two days ago', assembleJwt(hs, widgetClaims({ iat: now - 3 * 86400, exp: now - 2 * 86400 }), secret)],
    ['widget token with nbf in the future', assembleJwt(hs, widgetClaims({ nbf: now + 3600 }), secret)],
    ['widget token with chat:send only (renewal must not widen it)', assembleJwt(hs, widgetClaims({ scope: ['chat:send'] }), secret)],
    ['widget token of another tenant', assembleJwt(hs, widgetClaims({ tenant_id: b.id }), secret)],
    ['token signed by the tenant backend (no widget issuer)', await tp.mintToken({ tenantId: a.id, sub: VICTIM })],
  ];

  for (const [name, previousToken] of previousTokens) {
    const res = await api(tp.url, 'POST', '/api/v1/auth/widget-token', {
      tenantId: a.id,
      origin: ALLOWED_TEST_ORIGIN,
      body: { publishable_key: a.publishableKey, previous_token: previousToken },
    });
    assertTypedErrorBody(res, `renewal with ${name}`, 'POST');
    if (res.status === 200) assert.notEqual(res.body.visitor_id, VICTIM, `renewal with ${name} handed out a token of the victim's visitor id`);
    else assert.ok([401, 403, 422].includes(res.status), `renewal with ${name}: ${res.status} ${res.text.slice(0, 200)}`);
  }
});
