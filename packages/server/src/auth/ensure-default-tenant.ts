/**
 * First start: the default tenant exists, allows the platform's own address (under both loopback
 * names when it is a local one: the demo is opened at http://localhost:PORT as often as at
 * http://127.0.0.1:PORT) and http://localhost:3000 (a local React app), and runs the
 * anonymous-widget policy the live website widget needs.
 *
 * An existing tenant keeps what the operator configured, with one addition: a default tenant
 * created by an older version that allows one loopback name of the platform's address gets the
 * other added (never removed). Both names reach the same server, so allowing only one of them is
 * never a deliberate choice, and the demo page failed with origin_not_allowed.
 */
import type { PlatformConfig } from '../base/config.ts';
import type { Logger } from '../base/logger.ts';
import type { Store, TenantRecord } from '../store/store.ts';
import { normalizeOrigin } from './origin-policy.ts';

const LOOPBACK_TWINS: Record<string, string> = { localhost: '127.0.0.1', '127.0.0.1': 'localhost' };

/** The platform's own origin and, for a loopback address, the same address under its other name. */
export function ownOrigins(publicUrl: string): string[] {
  const own = normalizeOrigin(publicUrl);
  if (!own) return [];
  const url = new URL(own);
  const twin = LOOPBACK_TWINS[url.hostname];
  if (!twin) return [own];
  url.hostname = twin;
  return [own, url.origin];
}

export async function ensureDefaultTenant(
  store: Store,
  config: Pick<PlatformConfig, 'defaultTenantId' | 'publicUrl'>,
  logger: Logger,
): Promise<TenantRecord> {
  const own = ownOrigins(config.publicUrl);
  const existing = await store.tenants.get(config.defaultTenantId);
  if (existing) return addMissingLoopbackTwin(store, existing, own, logger);
  const allowedOrigins = [...new Set([...own, 'http://localhost:3000'])];
  try {
    const { tenant } = await store.tenants.create({
      id: config.defaultTenantId,
      name: 'MIPTech',
      settings: { allowedOrigins, anonymousWidget: true },
    });
    logger.info({ tenantId: tenant.id, allowedOrigins }, 'default tenant created');
    return tenant;
  } catch (error) {
    // Another node created it at the same moment.
    const raced = await store.tenants.get(config.defaultTenantId);
    if (raced) return raced;
    throw error;
  }
}

async function addMissingLoopbackTwin(store: Store, tenant: TenantRecord, own: string[], logger: Logger): Promise<TenantRecord> {
  const allowed = new Set(tenant.settings.allowedOrigins.map((origin) => normalizeOrigin(origin) ?? origin));
  if (own.length < 2 || !own.some((origin) => allowed.has(origin))) return tenant;
  const missing = own.filter((origin) => !allowed.has(origin));
  if (missing.length === 0) return tenant;
  const allowedOrigins = [...tenant.settings.allowedOrigins, ...missing];
  const updated = await store.tenants.updateSettings(tenant.id, { allowedOrigins });
  logger.info({ tenantId: tenant.id, added: missing }, 'default tenant: added the other loopback name of the platform address');
  return updated;
}
