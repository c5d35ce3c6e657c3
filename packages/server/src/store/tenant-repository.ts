import { timingSafeEqual } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { AppError } from '../base/errors.ts';
import type { StoreDatabase, TenantsTable } from './database-schema.ts';
import { defaultTenantSettings, mergeTenantSettings } from './default-tenant-settings.ts';
import type { CreateTenantInput, CreatedTenant, TenantRecord, TenantRepository, TenantSettings } from './store.ts';
import { isPlainObject, parseJsonColumn } from './json-column.ts';
import { hashSecretKey, newPublishableKey, newSecretKey } from './tenant-keys.ts';

/** Tenant ids appear in URLs, JWT claims and CLI arguments: keep them plain. */
const TENANT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function toTenant(row: Selectable<TenantsTable>): TenantRecord {
  // Unreadable settings fall back to the defaults rather than locking the tenant out.
  const stored = parseJsonColumn<Partial<TenantSettings>>(row.settings, {}, isPlainObject);
  return {
    id: row.id,
    name: row.name,
    publishableKey: row.publishable_key,
    secretKeyHash: row.secret_key_hash,
    // Merged over the defaults so settings added in later versions have a value for old tenants.
    settings: mergeTenantSettings(defaultTenantSettings(), stored),
    createdAt: row.created_at,
  };
}

/** Tenants, their settings and API keys. */
export class SqlTenantRepository implements TenantRepository {
  constructor(private readonly db: Kysely<StoreDatabase>) {}

  async get(tenantId: string): Promise<TenantRecord | null> {
    const row = await this.db.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst();
    return row ? toTenant(row) : null;
  }

  async list(): Promise<TenantRecord[]> {
    const rows = await this.db.selectFrom('tenants').selectAll().orderBy('created_at').orderBy('id').execute();
    return rows.map(toTenant);
  }

  async create(input: CreateTenantInput): Promise<CreatedTenant> {
    if (typeof input.id !== 'string' || !TENANT_ID.test(input.id)) {
      throw new AppError('validation_error', 'Invalid tenant id', {
        detail: [{ loc: ['tenant_id'], msg: 'letters, digits, ".", "_" or "-", at most 64, starting with a letter or digit' }],
      });
    }
    const secretKey = newSecretKey();
    const settings = mergeTenantSettings(defaultTenantSettings(), input.settings ?? {});
    const row = await this.db
      .insertInto('tenants')
      .values({
        id: input.id,
        name: input.name ?? input.id,
        publishable_key: newPublishableKey(),
        secret_key_hash: hashSecretKey(secretKey),
        settings: JSON.stringify(settings),
        created_at: new Date().toISOString(),
      })
      .onConflict((conflict) => conflict.column('id').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new AppError('conflict', `Tenant ${input.id} already exists`);
    return { tenant: toTenant(row), secretKey };
  }

  async updateSettings(tenantId: string, patch: Partial<TenantSettings>): Promise<TenantRecord> {
    return this.db.transaction().execute(async (trx) => {
      const current = await trx.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst();
      if (!current) throw new AppError('tenant_not_found');
      const settings = mergeTenantSettings(toTenant(current).settings, patch);
      const row = await trx
        .updateTable('tenants')
        .set({ settings: JSON.stringify(settings) })
        .where('id', '=', tenantId)
        .returningAll()
        .executeTakeFirstOrThrow();
      return toTenant(row);
    });
  }

  async findByPublishableKey(publishableKey: string): Promise<TenantRecord | null> {
    if (typeof publishableKey !== 'string' || !publishableKey.startsWith('pk_')) return null;
    const row = await this.db.selectFrom('tenants').selectAll().where('publishable_key', '=', publishableKey).executeTakeFirst();
    return row ? toTenant(row) : null;
  }

  async findBySecretKey(secretKey: string): Promise<TenantRecord | null> {
    if (typeof secretKey !== 'string' || !secretKey.startsWith('sk_')) return null;
    const hash = hashSecretKey(secretKey);
    const row = await this.db.selectFrom('tenants').selectAll().where('secret_key_hash', '=', hash).executeTakeFirst();
    // The indexed lookup already matched; the constant-time comparison keeps the check honest
    // should the lookup ever become a prefix or case-insensitive match.
    if (!row || !timingSafeEqual(Buffer.from(row.secret_key_hash), Buffer.from(hash))) return null;
    return toTenant(row);
  }
}
