/**
 * Signs and verifies the platform's JWTs: HS256 only (an algorithm allow-list, so `alg: none` or
 * an RS/HS confusion can never pass). Signing goes through jose; verification, on every REST
 * request and WebSocket join, is a synchronous node:crypto HMAC with jose's rules
 * (hs256-verifier.ts), and a token verified once is remembered (bounded) so its next use costs a
 * map lookup and the clock check: a widget sends the same token with each request of its session.
 * Claims: `tenant_id`, `scope` (array or space-separated string), `exp` (seconds), `sub`; `iat`
 * (checked against revocations), and on widget tokens `iss` = WIDGET_TOKEN_ISSUER and `auth_time`
 * (when the visitor's chain of renewals began; see widget-token-renewal.ts).
 */
import { SignJWT } from 'jose';
import { parseScopeClaim } from '@miptech/protocol';
import { AppError } from '../base/errors.ts';
import { Hs256VerificationError, checkTimeClaims, verifyHs256Signature, type SignedClaims } from './hs256-verifier.ts';
import { LruMap } from '../base/lru-map.ts';
import type { TokenRevocations } from './token-revocations.ts';

export interface VerifiedToken {
  tenantId: string;
  scopes: string[];
  /** Visitor or user id; null when the token has none (operator tokens). */
  subject: string | null;
  /** Expiry in seconds since the epoch. */
  expiresAt: number;
  /** `iss`: WIDGET_TOKEN_ISSUER on tokens of POST /api/v1/auth/widget-token; null on tenant-signed tokens without one. */
  issuer: string | null;
  /** `iat` in seconds; null when the token has none. */
  issuedAt: number | null;
  /** `auth_time` in seconds: the start of a widget session, kept across renewals; null when absent. */
  authTime: number | null;
  /** `nbf` in seconds; null when absent. */
  notBefore: number | null;
}

export interface SignTokenInput {
  tenantId: string;
  scopes: readonly string[];
  subject?: string | null;
  ttlSeconds: number;
  /** `iss` claim (widget tokens: WIDGET_TOKEN_ISSUER). */
  issuer?: string;
  /** `auth_time` claim, seconds: carried unchanged from token to renewed token. */
  authTime?: number;
}

export interface TokenService {
  sign(input: SignTokenInput): Promise<{ token: string; expiresAt: number }>;
  /** Throws AppError invalid_token, token_expired or token_revoked. */
  verify(token: string): Promise<VerifiedToken>;
  /**
   * Verifies the signature of a token that may have expired up to `maxExpiredSeconds` ago (used
   * to keep a visitor's identity across widget-token renewals). Null when it is not acceptable.
   */
  verifyRecentlyExpired(token: string, maxExpiredSeconds: number): Promise<VerifiedToken | null>;
  /**
   * As verify, but a token expired less than `graceSeconds` ago passes; throws AppError
   * invalid_token, token_expired (expired longer ago) or token_revoked. `nbf` gets no tolerance here.
   */
  verifyWithGrace(token: string, graceSeconds: number): Promise<VerifiedToken>;
}

/** An `exp` this large was written in milliseconds (the guide's sample does that); reject it. */
const MAX_PLAUSIBLE_EXP_SECONDS = 100_000_000_000;
const MAX_TOKEN_LENGTH = 8192;

function toVerified(payload: Record<string, unknown>): VerifiedToken {
  const tenantId = payload['tenant_id'];
  if (typeof tenantId !== 'string' || tenantId === '') {
    throw new AppError('invalid_token', 'Token has no tenant_id claim');
  }
  const exp = payload['exp'];
  if (typeof exp !== 'number') throw new AppError('invalid_token', 'Token has no exp claim');
  if (exp > MAX_PLAUSIBLE_EXP_SECONDS) {
    throw new AppError('invalid_token', 'Token exp must be in seconds, not milliseconds');
  }
  return {
    tenantId,
    scopes: Object.freeze(parseScopeClaim(payload['scope'] ?? payload['scopes'])) as string[],
    subject: typeof payload['sub'] === 'string' && payload['sub'] !== '' ? payload['sub'] : null,
    expiresAt: exp,
    issuer: typeof payload['iss'] === 'string' ? payload['iss'] : null,
    issuedAt: numberClaim(payload, 'iat'),
    authTime: numberClaim(payload, 'auth_time'),
    notBefore: numberClaim(payload, 'nbf'),
  };
}

function numberClaim(payload: Record<string, unknown>, claim: string): number | null {
  const value = payload[claim];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export interface TokenServiceOptions {
  /** Verified tokens remembered (least recently used dropped first). @default 10000 */
  cacheSize?: number;
  /** Revocations checked after every successful verification (token-revocations.ts); none without. */
  revocations?: Pick<TokenRevocations, 'check'>;
}

export async function createTokenService(secret: string, options: TokenServiceOptions = {}): Promise<TokenService> {
  const secretBytes = Buffer.from(secret, 'utf8');
  const key = await crypto.subtle.importKey('raw', secretBytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  /** Tokens whose signature and claims were good, by the token text; their clock is checked at each use. */
  const cache = new LruMap<string, { claims: Pick<SignedClaims, 'exp' | 'nbf'>; verified: VerifiedToken }>(options.cacheSize ?? 10_000);

  function verifyWith(token: string, clockTolerance: number): VerifiedToken {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new AppError('invalid_token');
    }
    const now = Math.floor(Date.now() / 1000);
    try {
      const cached = cache.get(token);
      if (cached) {
        checkTimeClaims(cached.claims, now, clockTolerance);
        return cached.verified;
      }
      const claims = verifyHs256Signature(token, secretBytes);
      checkTimeClaims(claims, now, clockTolerance);
      // Frozen: the same object is handed to every later user of this token.
      const verified = Object.freeze(toVerified(claims.payload));
      cache.set(token, { claims: { exp: claims.exp, nbf: claims.nbf }, verified });
      return verified;
    } catch (error) {
      if (error instanceof Hs256VerificationError) throw new AppError(error.failure === 'expired' ? 'token_expired' : 'invalid_token');
      throw error;
    }
  }

  return {
    async sign({ tenantId, scopes, subject, ttlSeconds, issuer, authTime }) {
      const now = Math.floor(Date.now() / 1000);
      const expiresAt = now + ttlSeconds;
      let jwt = new SignJWT({ tenant_id: tenantId, scope: [...scopes], ...(authTime === undefined ? {} : { auth_time: authTime }) })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuedAt(now)
        .setExpirationTime(expiresAt);
      if (subject) jwt = jwt.setSubject(subject);
      if (issuer) jwt = jwt.setIssuer(issuer);
      return { token: await jwt.sign(key), expiresAt };
    },
    async verify(token) {
      const verified = verifyWith(token, 0);
      await options.revocations?.check(verified);
      return verified;
    },
    async verifyWithGrace(token, graceSeconds) {
      const verified = verifyWith(token, graceSeconds);
      if (verified.notBefore !== null && verified.notBefore > Math.floor(Date.now() / 1000)) {
        throw new AppError('invalid_token', 'Token is not valid yet (nbf)');
      }
      await options.revocations?.check(verified);
      return verified;
    },
    async verifyRecentlyExpired(token, maxExpiredSeconds) {
      try {
        return verifyWith(token, maxExpiredSeconds);
      } catch {
        return null;
      }
    },
  };
}
