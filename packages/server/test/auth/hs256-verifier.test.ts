import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { SignJWT, errors as joseErrors, jwtVerify } from 'jose';
import { Hs256VerificationError, checkTimeClaims, verifyHs256Signature } from '../../src/auth/hs256-verifier.ts';

const SECRET = 'a-test-secret-of-reasonable-length-0123456789';
const secret = Buffer.from(SECRET);
const now = Math.floor(Date.now() / 1000);

const b64 = (value: string | Buffer) => Buffer.from(value).toString('base64url');
const json = (value: unknown) => b64(JSON.stringify(value));
const sign = (input: string, key = SECRET) => createHmac('sha256', key).update(input).digest('base64url');
/** A compact token from raw segments, signed over them unless a signature is given. */
function token(header: string, payload: string, signature?: string): string {
  return `${header}.${payload}.${signature ?? sign(`${header}.${payload}`)}`;
}
const HS256 = json({ alg: 'HS256', typ: 'JWT' });
const claims = (extra: Record<string, unknown> = {}) => json({ tenant_id: 't', exp: now + 600, ...extra });

type Outcome = 'ok' | 'invalid' | 'expired';

function ours(text: string): Outcome {
  try {
    checkTimeClaims(verifyHs256Signature(text, secret), now, 0);
    return 'ok';
  } catch (error) {
    assert.ok(error instanceof Hs256VerificationError, `unexpected ${String(error)}`);
    return error.failure;
  }
}

async function jose(text: string): Promise<Outcome> {
  try {
    await jwtVerify(text, secret, { algorithms: ['HS256'], requiredClaims: ['exp'], currentDate: new Date(now * 1000) });
    return 'ok';
  } catch (error) {
    return error instanceof joseErrors.JWTExpired ? 'expired' : 'invalid';
  }
}

const corpus: Record<string, string> = {
  'a good token': token(HS256, claims()),
  'header without typ': token(json({ alg: 'HS256' }), claims()),
  'nbf in the past and iat': token(HS256, claims({ nbf: now - 10, iat: now - 10 })),
  'extra unknown claims and header fields': token(json({ alg: 'HS256', kid: 'k1', b64: false }), claims({ x: [1, { y: 2 }] })),
  'expired': token(HS256, claims({ exp: now - 1 })),
  'expiring right now': token(HS256, claims({ exp: now })),
  'expired with a bad signature': token(HS256, claims({ exp: now - 1 }), sign('other')),
  'alg none': `${json({ alg: 'none' })}.${claims()}.`,
  'alg none with a signature': token(json({ alg: 'none' }), claims()),
  'alg HS512': token(json({ alg: 'HS512' }), claims()),
  'alg hs256 in lower case': token(json({ alg: 'hs256' }), claims()),
  'no alg': token(json({ typ: 'JWT' }), claims()),
  'header is an array': token(json(['HS256']), claims()),
  'header is not JSON': token(b64('{alg:HS256}'), claims()),
  'header is not base64url': token('eyJ+bGci', claims()),
  'crit with an unknown extension': token(json({ alg: 'HS256', crit: ['exp'] }), claims()),
  'crit b64 false': token(json({ alg: 'HS256', crit: ['b64'], b64: false }), claims()),
  'payload is an array': token(HS256, json([1, 2])),
  'payload is a string': token(HS256, json('claims')),
  'payload is not UTF-8': token(HS256, b64(Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]))),
  'payload is not JSON': token(HS256, b64('not json')),
  'missing exp': token(HS256, json({ tenant_id: 't' })),
  'exp as a string': token(HS256, claims({ exp: String(now + 600) })),
  'exp as null': token(HS256, claims({ exp: null })),
  'iat as a string': token(HS256, claims({ iat: 'yesterday' })),
  'nbf as a string': token(HS256, claims({ nbf: 'now' })),
  'nbf in the future': token(HS256, claims({ nbf: now + 60 })),
  'signed with another secret': token(HS256, claims(), sign(`${HS256}.${claims()}`, 'another secret')),
  'signature of another payload': token(HS256, claims(), sign(`${HS256}.${claims({ sub: 'x' })}`)),
  'truncated signature': token(HS256, claims(), sign(`${HS256}.${claims()}`).slice(0, -2)),
  'no signature': `${HS256}.${claims()}.`,
  'two segments': `${HS256}.${claims()}`,
  'four segments': `${token(HS256, claims())}.x`,
  'empty header': token('', claims()),
  'empty payload': token(HS256, ''),
  'empty string': '',
  'dots only': '..',
};

describe('HS256 verification with node:crypto', () => {
  for (const [name, text] of Object.entries(corpus)) {
    it(`agrees with jose on ${name}`, async () => {
      assert.equal(ours(text), await jose(text));
    });
  }

  it('accepts a token signed by jose with its payload as claims', async () => {
    const signed = await new SignJWT({ tenant_id: 't', scope: ['chat:send'] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(now)
      .setSubject('visitor')
      .setExpirationTime(now + 60)
      .sign(secret);
    const verified = verifyHs256Signature(signed, secret);
    assert.deepEqual(verified, { payload: { tenant_id: 't', scope: ['chat:send'], iat: now, sub: 'visitor', exp: now + 60 }, exp: now + 60, nbf: undefined });
  });

  it('is stricter than jose on a second spelling of the same signature and on a critical b64 header', async () => {
    const good = token(HS256, claims());
    const padded = `${good}=`;
    assert.equal(ours(padded), 'invalid');
    const critB64 = token(json({ alg: 'HS256', crit: ['b64'], b64: true }), claims());
    assert.equal(await jose(critB64), 'ok');
    assert.equal(ours(critB64), 'invalid');
  });

  it('applies a clock tolerance to exp and nbf as jose does', async () => {
    const expired = verifyHs256Signature(token(HS256, claims({ exp: now - 30 })), secret);
    assert.throws(() => checkTimeClaims(expired, now, 30), { failure: 'expired' });
    assert.doesNotThrow(() => checkTimeClaims(expired, now, 31));
    const early = verifyHs256Signature(token(HS256, claims({ nbf: now + 30 })), secret);
    assert.throws(() => checkTimeClaims(early, now, 29), { failure: 'invalid' });
    assert.doesNotThrow(() => checkTimeClaims(early, now, 30));
  });
});
