/**
 * The JWT attack table of the adversarial suite: tokens an attacker can make without the tenant's
 * secret (or with a real token of theirs, altered), each with the error code the platform must refuse
 * it with. Tokens are assembled by hand (node:crypto) because a JWT library refuses to make most of
 * them (alg none, RS256 headers over an HMAC, exp in milliseconds).
 */
import { createHmac, generateKeyPairSync, sign as rsaSign } from 'node:crypto';
import type { ErrorCode } from '@miptech/protocol';

export interface JwtAttack {
  readonly name: string;
  readonly token: string;
  /** The code the platform answers with when the token is used to read or join the victim's chat. */
  readonly expect: ErrorCode;
  /** Where the platform answers differently over REST (a chat it will not show is "not found" there). */
  readonly expectRest?: ErrorCode;
  /** Where the WebSocket join answers differently (a field over its bound is a malformed join). */
  readonly expectWs?: ErrorCode;
}

export interface JwtAttackInput {
  /** The platform's real secret (for rows that are well signed but wrong in their claims). */
  readonly secret: string;
  /** The tenant the attacked chat belongs to. */
  readonly tenantId: string;
  /** Another tenant of the same platform. */
  readonly otherTenantId: string;
  /** The victim's visitor id (the owner of the chat). */
  readonly victimSub: string;
}

const b64url = (value: string | Buffer): string => Buffer.from(value).toString('base64url');

/** header.payload.signature, HMAC-SHA256 with `secret` unless another signer is given. */
export function assembleJwt(header: Record<string, unknown>, payload: Record<string, unknown>, secret: string | null, signer?: (input: string) => Buffer): string {
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  if (secret === null && !signer) return `${input}.`;
  const signature = signer ? signer(input) : createHmac('sha256', secret!).update(input).digest();
  return `${input}.${b64url(signature)}`;
}

export function jwtAttackTable(input: JwtAttackInput): JwtAttack[] {
  const now = Math.floor(Date.now() / 1000);
  const hs = { alg: 'HS256', typ: 'JWT' };
  const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    tenant_id: input.tenantId,
    sub: input.victimSub,
    scope: ['chat:create', 'chat:send'],
    iat: now - 10,
    exp: now + 3600,
    ...extra,
  });
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const rsaSigner = (data: string) => rsaSign('sha256', Buffer.from(data), privateKey);
  const good = assembleJwt(hs, claims(), input.secret);
  const [goodHeader, goodPayload] = good.split('.');
  const withoutSub = claims();
  delete withoutSub.sub;
  const withoutTenant = claims();
  delete withoutTenant.tenant_id;

  return [
    { name: 'alg none, no signature', token: assembleJwt({ alg: 'none', typ: 'JWT' }, claims(), null), expect: 'invalid_token' },
    { name: 'alg None with the real signature kept', token: `${b64url(JSON.stringify({ alg: 'None', typ: 'JWT' }))}.${goodPayload}.${good.split('.')[2]}`, expect: 'invalid_token' },
    { name: 'HS256 signed with a wrong secret', token: assembleJwt(hs, claims(), `${input.secret}-wrong`), expect: 'invalid_token' },
    { name: 'HS256 signed with an empty secret', token: assembleJwt(hs, claims(), ''), expect: 'invalid_token' },
    { name: 'RS256 header over an HMAC of the real secret (alg confusion)', token: assembleJwt({ alg: 'RS256', typ: 'JWT' }, claims(), input.secret), expect: 'invalid_token' },
    { name: 'RS256 signed with an attacker key', token: assembleJwt({ alg: 'RS256', typ: 'JWT' }, claims(), null, rsaSigner), expect: 'invalid_token' },
    { name: 'HS512 header', token: assembleJwt({ alg: 'HS512', typ: 'JWT' }, claims(), input.secret), expect: 'invalid_token' },
    { name: 'payload altered after signing (sub swapped)', token: `${goodHeader}.${b64url(JSON.stringify(claims({ sub: `${input.victimSub}-x` })))}.${good.split('.')[2]}`, expect: 'invalid_token' },
    { name: 'expired an hour ago', token: assembleJwt(hs, claims({ exp: now - 3600 }), input.secret), expect: 'token_expired' },
    { name: 'exp written in milliseconds', token: assembleJwt(hs, claims({ exp: (now + 3600) * 1000 }), input.secret), expect: 'invalid_token' },
    { name: 'exp missing', token: assembleJwt(hs, { ...claims(), exp: undefined }, input.secret), expect: 'invalid_token' },
    { name: 'exp a string', token: assembleJwt(hs, claims({ exp: String(now + 3600) }), input.secret), expect: 'invalid_token' },
    { name: 'nbf an hour in the future', token: assembleJwt(hs, claims({ nbf: now + 3600 }), input.secret), expect: 'invalid_token' },
    { name: 'tenant claim of another tenant', token: assembleJwt(hs, claims({ tenant_id: input.otherTenantId }), input.secret), expect: 'tenant_mismatch' },
    { name: 'tenant claim missing', token: assembleJwt(hs, withoutTenant, input.secret), expect: 'invalid_token' },
    { name: 'sub missing (an operator token reading a visitor chat)', token: assembleJwt(hs, withoutSub, input.secret), expect: 'chat_access_denied', expectRest: 'chat_not_found' },
    { name: 'sub of another visitor', token: assembleJwt(hs, claims({ sub: `${input.victimSub}-other` }), input.secret), expect: 'chat_access_denied', expectRest: 'chat_not_found' },
    { name: 'scope escalation: only invented scopes', token: assembleJwt(hs, claims({ scope: ['chat:admin', 'admin', '*'] }), input.secret), expect: 'insufficient_scope' },
    { name: 'scope escalation: no scope', token: assembleJwt(hs, claims({ scope: [] }), input.secret), expect: 'insufficient_scope' },
    { name: 'oversized token (over 8 KB)', token: assembleJwt(hs, claims({ pad: 'x'.repeat(6_200) }), input.secret), expect: 'invalid_token', expectWs: 'validation_error' },
    { name: 'garbage', token: 'not.a.jwt', expect: 'invalid_token' },
    { name: 'two segments', token: `${goodHeader}.${goodPayload}`, expect: 'invalid_token' },
    { name: 'header not JSON', token: `${b64url('{alg')}.${goodPayload}.${good.split('.')[2]}`, expect: 'invalid_token' },
    { name: 'non-ASCII', token: 'ü.ü.ü', expect: 'invalid_token' },
  ];
}
