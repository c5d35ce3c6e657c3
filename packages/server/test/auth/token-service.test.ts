import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { SignJWT } from 'jose';
import { createTokenService } from '../../src/auth/token-service.ts';

const SECRET = 'token-service-test-secret-0123456789abcdef';

/** A token with exactly these claims, signed with the service's secret by jose. */
function signClaims(claims: Record<string, unknown>, secret = SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(Buffer.from(secret));
}

/** Moves Date.now() by `seconds` from the real clock for the rest of the test. */
function shiftClock(t: TestContext, seconds: number): void {
  const realNow = Date.now.bind(Date);
  t.mock.method(Date, 'now', () => realNow() + seconds * 1000);
}

describe('token service', () => {
  it('verifies what it signs, and the same token again from its cache', async () => {
    const tokens = await createTokenService(SECRET);
    const { token, expiresAt } = await tokens.sign({ tenantId: 'acme', scopes: ['chat:create', 'chat:send'], subject: 'visitor-1', ttlSeconds: 600 });
    const expected = { tenantId: 'acme', scopes: ['chat:create', 'chat:send'], subject: 'visitor-1', expiresAt, issuer: null, issuedAt: expiresAt - 600, authTime: null, notBefore: null };
    const first = await tokens.verify(token);
    assert.deepEqual({ ...first, scopes: [...first.scopes] }, expected);
    const again = await tokens.verify(token);
    assert.deepEqual({ ...again, scopes: [...again.scopes] }, expected);
    assert.ok(Object.isFrozen(again) && Object.isFrozen(again.scopes), 'a shared cached result cannot be changed by one caller');
  });

  it('rejects a token that expired after it was cached (token_expired), and accepts it as recently expired', async (t) => {
    const tokens = await createTokenService(SECRET);
    const { token } = await tokens.sign({ tenantId: 'acme', scopes: ['chat:send'], ttlSeconds: 60 });
    await tokens.verify(token);
    shiftClock(t, 61);
    await assert.rejects(tokens.verify(token), { code: 'token_expired' });
    assert.equal((await tokens.verifyRecentlyExpired(token, 120))?.tenantId, 'acme');
    assert.equal(await tokens.verifyRecentlyExpired(token, 0), null);
  });

  it('rejects a token expired at its first use (token_expired), before any caching', async () => {
    const tokens = await createTokenService(SECRET);
    const { token } = await tokens.sign({ tenantId: 'acme', scopes: ['chat:send'], ttlSeconds: -10 });
    await assert.rejects(tokens.verify(token), { code: 'token_expired' });
    assert.equal((await tokens.verifyRecentlyExpired(token, 60))?.tenantId, 'acme');
    await assert.rejects(tokens.verify(token), { code: 'token_expired' }, 'still expired after the tolerant check');
  });

  it('does not remember a token used before its nbf; it passes once the time comes', async (t) => {
    const tokens = await createTokenService(SECRET);
    const now = Math.floor(Date.now() / 1000);
    const token = await signClaims({ tenant_id: 'acme', nbf: now + 100, exp: now + 600 });
    await assert.rejects(tokens.verify(token), { code: 'invalid_token' });
    shiftClock(t, 101);
    assert.equal((await tokens.verify(token)).tenantId, 'acme');
  });

  it('maps every bad token to invalid_token, on first and repeated use', async () => {
    const tokens = await createTokenService(SECRET);
    const now = Math.floor(Date.now() / 1000);
    const bad = [
      await signClaims({ tenant_id: 'acme', exp: now + 60 }, 'another secret'),
      await signClaims({ exp: now + 60 }),
      await signClaims({ tenant_id: '', exp: now + 60 }),
      await signClaims({ tenant_id: 'acme' }),
      await signClaims({ tenant_id: 'acme', exp: (now + 60) * 1000 }),
      'not.a.token',
      '',
      'x'.repeat(9000),
    ];
    for (const token of bad) {
      for (let attempt = 0; attempt < 2; attempt += 1) {
        await assert.rejects(tokens.verify(token), { code: 'invalid_token' }, `${token.slice(0, 40)} attempt ${attempt}`);
      }
      assert.equal(await tokens.verifyRecentlyExpired(token, 60), null);
    }
  });

  it('keeps verifying correctly when its cache holds fewer tokens than are in use', async (t) => {
    const tokens = await createTokenService(SECRET, { cacheSize: 1 });
    const signed = await Promise.all(
      ['a', 'b', 'c'].map((tenantId) => tokens.sign({ tenantId, scopes: ['chat:send'], ttlSeconds: 60 })),
    );
    for (let round = 0; round < 2; round += 1) {
      for (const [index, { token }] of signed.entries()) assert.equal((await tokens.verify(token)).tenantId, ['a', 'b', 'c'][index]);
    }
    shiftClock(t, 61);
    for (const { token } of signed) await assert.rejects(tokens.verify(token), { code: 'token_expired' });
  });
});
