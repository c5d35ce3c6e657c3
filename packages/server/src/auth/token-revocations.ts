/**
 * Token revocation as the token service sees it: "is this verified token revoked?". A tenant
 * revokes every token issued before a moment, or those of one `sub` (POST
 * /api/v1/admin/tokens/revoke); a token whose `iat` is before the moment (or that has no `iat`)
 * is refused as token_revoked on every REST request, WebSocket join and widget-token renewal.
 *
 * The moments live in the database (every node and restart sees them) and are cached per node
 * and tenant for `ttlMs` (TOKEN_REVOCATION_CACHE_MS): another node notices a revocation within
 * that time; the node that took the revocation at once. An already joined WebSocket is not cut:
 * its token is checked again at its next join (or the widget's next renewal).
 */
import { AppError } from '../base/errors.ts';
import type { Clock } from '../base/clock.ts';
import { LruMap } from '../base/lru-map.ts';
import type { TenantRevocations, TokenRevocationRepository } from '../store/token-revocation-repository.ts';
import type { VerifiedToken } from './token-service.ts';

export interface TokenRevocations {
  /** Throws AppError token_revoked when `token` was issued before a revocation of its tenant or `sub`. */
  check(token: VerifiedToken): Promise<void>;
  /** Records a revocation and applies it on this node at once; returns the moment in force (seconds). */
  revoke(tenantId: string, subject: string | null, beforeSeconds: number): Promise<number>;
}

const MAX_TENANTS_CACHED = 10_000;

export function createTokenRevocations(repository: TokenRevocationRepository, options: { ttlMs: number; clock: Pick<Clock, 'now'> }): TokenRevocations {
  const cache = new LruMap<string, { revocations: TenantRevocations; loadedAt: number }>(MAX_TENANTS_CACHED);
  const loading = new Map<string, Promise<TenantRevocations>>();

  async function revocationsOf(tenantId: string): Promise<TenantRevocations> {
    const cached = cache.get(tenantId);
    if (cached && options.clock.now() - cached.loadedAt < options.ttlMs) return cached.revocations;
    // One query per tenant at a time, however many requests arrive while it runs.
    let pending = loading.get(tenantId);
    if (!pending) {
      pending = repository.forTenant(tenantId).finally(() => loading.delete(tenantId));
      loading.set(tenantId, pending);
    }
    try {
      const revocations = await pending;
      cache.set(tenantId, { revocations, loadedAt: options.clock.now() });
      return revocations;
    } catch (error) {
      // A database blip: the moments last seen still hold (revocations only ever move forward).
      if (cached) return cached.revocations;
      throw error;
    }
  }

  return {
    async check(token) {
      const { allBefore, bySubject } = await revocationsOf(token.tenantId);
      const subjectBefore = token.subject === null ? undefined : bySubject.get(token.subject);
      const before = Math.max(allBefore ?? -Infinity, subjectBefore ?? -Infinity);
      if (before === -Infinity) return;
      if (token.issuedAt === null || token.issuedAt < before) throw new AppError('token_revoked');
    },
    async revoke(tenantId, subject, beforeSeconds) {
      const inForce = await repository.revoke(tenantId, subject, beforeSeconds);
      cache.delete(tenantId);
      return inForce;
    },
  };
}
