/**
 * Tenant lookups for the hot paths (every REST request for CORS, every WebSocket handshake).
 * Records are cached for a few seconds, so a tenant changed by the CLI in another process is seen
 * shortly after without a restart; unknown ids are cached too, so random ids cannot hammer the
 * database.
 *
 * While the database cannot be reached, the last record known is used (and looked up again at
 * most once a second): CORS still answers for the tenant's origins, so a browser sees the real
 * 503 db_not_ready instead of a CORS failure, and requests that need no database still work.
 */
import type { Store, TenantRecord } from '../store/store.ts';
import { normalizeOrigin } from './origin-policy.ts';

export interface TenantDirectory {
  get(tenantId: string): Promise<TenantRecord | null>;
  /** Whether any tenant allows this browser origin (for CORS preflights that name no tenant). */
  isOriginAllowedByAnyTenant(origin: string): Promise<boolean>;
  /** Drops cached records (one tenant, or all) after a change made in this process. */
  invalidate(tenantId?: string): void;
}

interface CacheEntry {
  record: TenantRecord | null;
  expiresAt: number;
}

const MAX_ENTRIES = 10_000;
/** How long a stale record or origin list is used before the database is asked again during an outage. */
const STALE_RETRY_MS = 1000;

export function createTenantDirectory(store: Store, options: { ttlMs?: number } = {}): TenantDirectory {
  const ttlMs = options.ttlMs ?? 5000;
  const cache = new Map<string, CacheEntry>();
  const loading = new Map<string, Promise<TenantRecord | null>>();
  let origins: { values: Set<string>; wildcard: boolean; expiresAt: number } | null = null;
  let originsLoading: Promise<{ values: Set<string>; wildcard: boolean }> | null = null;

  async function load(tenantId: string): Promise<TenantRecord | null> {
    let record: TenantRecord | null;
    try {
      record = await store.tenants.get(tenantId);
    } catch (error) {
      const stale = cache.get(tenantId);
      if (!stale) throw error;
      stale.expiresAt = Date.now() + Math.min(ttlMs, STALE_RETRY_MS);
      return stale.record;
    }
    if (cache.size >= MAX_ENTRIES) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    cache.set(tenantId, { record, expiresAt: Date.now() + ttlMs });
    return record;
  }

  async function loadOrigins(): Promise<{ values: Set<string>; wildcard: boolean }> {
    let tenants: TenantRecord[];
    try {
      tenants = await store.tenants.list();
    } catch (error) {
      if (!origins) throw error;
      origins.expiresAt = Date.now() + Math.min(ttlMs, STALE_RETRY_MS);
      return origins;
    }
    const values = new Set<string>();
    let wildcard = false;
    for (const tenant of tenants) {
      for (const allowed of tenant.settings.allowedOrigins) {
        if (allowed === '*') wildcard = true;
        const normalized = normalizeOrigin(allowed);
        if (normalized) values.add(normalized);
      }
    }
    origins = { values, wildcard, expiresAt: Date.now() + ttlMs };
    return origins;
  }

  return {
    async get(tenantId) {
      const entry = cache.get(tenantId);
      if (entry && entry.expiresAt > Date.now()) return entry.record;
      let pending = loading.get(tenantId);
      if (!pending) {
        pending = load(tenantId).finally(() => loading.delete(tenantId));
        loading.set(tenantId, pending);
      }
      return pending;
    },
    async isOriginAllowedByAnyTenant(origin) {
      const normalized = normalizeOrigin(origin);
      if (!normalized) return false;
      let current: { values: Set<string>; wildcard: boolean } | null = origins && origins.expiresAt > Date.now() ? origins : null;
      if (!current) {
        originsLoading ??= loadOrigins().finally(() => {
          originsLoading = null;
        });
        current = await originsLoading;
      }
      return current.wildcard || current.values.has(normalized);
    },
    invalidate(tenantId) {
      if (tenantId === undefined) cache.clear();
      else cache.delete(tenantId);
      origins = null;
    },
  };
}
