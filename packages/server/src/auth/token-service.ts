/**
 * Signs and verifies the platform's JWTs: HS256 only (an algorithm allow-list, so `alg: none` or
 * an RS/HS confusion can never pass). Signing goes through jose; verification, on every REST
 * request and WebSocket join, is a synchronous node:crypto HMAC with jose's rules
 * (hs256-verifier.ts), and a token verified once is remembered (bounded) so its next use costs a
 * map lookup and the clock check: a widget sends the same token with each request of its session.
 * Claims: `tenant_id`, `scope` (array or space-separated string), `exp` (seconds), `sub`.
 */
import { SignJWT } from 'jose';
import { parseScopeClaim } from '@miptech/protocol';
import { AppError } from '../base/errors.ts';
import { Hs256VerificationError, checkTimeClaims, verifyHs256Signature, type SignedClaims } from './hs256-verifier.ts';
import { LruMap } from '../base/lru-map.ts';

export interface VerifiedToken {
  tenantId: string;
  scopes: string[];
  /** Visitor or user id; null when the token has none (operator tokens). */
  subject: string | null;
  /** Expiry in seconds since the epoch. */
  expiresAt: number;
}

export interface SignTokenInput {
  tenantId: string;
  scopes: readonly string[];
  subject?: string | null;
  ttlSeconds: number;
}

export interface TokenService {
  sign(input: SignTokenInput): Promise<{ token: string; expiresAt: number }>;
  /** Throws AppError invalid_token or token_expired. */
  verify(token: string): Promise<VerifiedToken>;
  /**
   * Verifies the signature of a token that may have expired up to `maxExpiredSeconds` ago (used
   * to keep a visitor's identity across widget-token renewals). Null when it is not acceptable.
   */
  verifyRecentlyExpired(token: string, maxExpiredSeconds: number): Promise<VerifiedToken | null>;
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
  };
}

export interface TokenServiceOptions {
  /** Verified tokens remembered (least recently used dropped first). @default 10000 */
  cacheSize?: number;
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
    async sign({ tenantId, scopes, subject, ttlSeconds }) {
      const now = Math.floor(Date.now() / 1000);
      const expiresAt = now + ttlSeconds;
      let jwt = new SignJWT({ tenant_id: tenantId, scope: [...scopes] })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuedAt(now)
        .setExpirationTime(expiresAt);
      if (subject) jwt = jwt.setSubject(subject);
      return { token: await jwt.sign(key), expiresAt };
    },
    verify: async (token) => verifyWith(token, 0),
    async verifyRecentlyExpired(token, maxExpiredSeconds) {
      try {
        return verifyWith(token, maxExpiredSeconds);
      } catch {
        return null;
      }
    },
  };
}
