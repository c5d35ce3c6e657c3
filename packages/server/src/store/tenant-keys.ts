/**
 * Tenant API keys. The publishable key (`pk_…`) is stored as is: it is meant to be public. The
 * secret key (`sk_…`) is stored only as its SHA-256: it has 256 random bits, so a fast hash is
 * enough (no password stretching needed), and a leaked database does not leak usable keys.
 */
import { createHash, randomBytes } from 'node:crypto';

export function newPublishableKey(): string {
  return `pk_${randomBytes(24).toString('base64url')}`;
}

export function newSecretKey(): string {
  return `sk_${randomBytes(32).toString('base64url')}`;
}

/** SHA-256 hex of a secret key: what is stored and looked up. */
export function hashSecretKey(secretKey: string): string {
  return createHash('sha256').update(secretKey, 'utf8').digest('hex');
}
