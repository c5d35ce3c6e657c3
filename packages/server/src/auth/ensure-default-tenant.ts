/**
 * First start: the default tenant exists, allows the platform's own address and
 * http://localhost:3000 (a local React app), and runs the anonymous-widget policy the live
 * website widget needs. An existing tenant is left exactly as the operator configured it.
 */
import type { PlatformConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { Store, TenantRecord } from '../store/store.ts';
import { normalizeOrigin } from './origin-policy.ts';

export async function ensureDefaultTenant(
  store: Store,
  config: Pick<PlatformConfig, 'defaultTenantId' | 'publicUrl'>,
  logger: Logger,
): Promise<TenantRecord> {
  const existing = await store.tenants.get(config.defaultTenantId);
  if (existing) return existing;
  const allowedOrigins = [...new Set([normalizeOrigin(config.publicUrl), 'http://localhost:3000'].filter((o): o is string => o !== null))];
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
