/**
 * Signs and verifies the platform's JWTs: HS256 only (an algorithm allow-list, so `alg: none` or
 * an RS/HS confusion can never pass), with the key imported once as a WebCrypto key.
 * Claims: `tenant_id`, `scope` (array or space-separated string), `exp` (seconds), `sub`.
 */
import { SignJWT, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { parseScopeClaim } from '@miptech/protocol';
import { AppError } from '../errors.ts';

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

const ALGORITHMS = ['HS256'];
/** An `exp` this large was written in milliseconds (the guide's sample does that); reject it. */
const MAX_PLAUSIBLE_EXP_SECONDS = 100_000_000_000;
const MAX_TOKEN_LENGTH = 8192;

function toVerified(payload: JWTPayload): VerifiedToken {
  const tenantId = payload['tenant_id'];
  if (typeof tenantId !== 'string' || tenantId === '') {
    throw new AppError('invalid_token', 'Token has no tenant_id claim');
  }
  if (typeof payload.exp !== 'number') throw new AppError('invalid_token', 'Token has no exp claim');
  if (payload.exp > MAX_PLAUSIBLE_EXP_SECONDS) {
    throw new AppError('invalid_token', 'Token exp must be in seconds, not milliseconds');
  }
  return {
    tenantId,
    scopes: parseScopeClaim(payload['scope'] ?? payload['scopes']),
    subject: typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : null,
    expiresAt: payload.exp,
  };
}

export async function createTokenService(secret: string): Promise<TokenService> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );

  async function verifyWith(token: string, clockTolerance: number): Promise<VerifiedToken> {
    if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
      throw new AppError('invalid_token');
    }
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ALGORITHMS, clockTolerance, requiredClaims: ['exp'] });
      return toVerified(payload);
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new AppError('token_expired');
      throw new AppError('invalid_token');
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
    verify: (token) => verifyWith(token, 0),
    async verifyRecentlyExpired(token, maxExpiredSeconds) {
      try {
        return await verifyWith(token, maxExpiredSeconds);
      } catch {
        return null;
      }
    },
  };
}
