/**
 * Browser Origin checks against a tenant's allowed origins (used for CORS and for the anonymous
 * widget policy). Origins compare as scheme://host[:port], case-insensitively, without a path.
 * An allowed entry `*` allows every origin (development only).
 */
import type { TenantRecord } from '../store/store.ts';

/** `https://Example.com:443/x` → `https://example.com`; null for anything that is not an http(s) origin. */
export function normalizeOrigin(value: string | null | undefined): string | null {
  if (!value || value === 'null') return null;
  try {
    const url = new URL(value);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
    return url.origin.toLowerCase();
  } catch {
    return null;
  }
}

export function isOriginAllowed(tenant: TenantRecord, origin: string | null | undefined): boolean {
  const normalized = normalizeOrigin(origin);
  if (!normalized) return false;
  for (const allowed of tenant.settings.allowedOrigins) {
    if (allowed === '*' || normalizeOrigin(allowed) === normalized) return true;
  }
  return false;
}
