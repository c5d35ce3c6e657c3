/**
 * Migration 0004: `token_revocations`, one row per (tenant, subject): every token of the tenant
 * (subject '') or of one `sub` whose `iat` is before `revoked_before` (seconds) is refused.
 * A later revocation only moves the moment forward (the repository keeps the larger one).
 */
import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from './store-dialect.ts';

export function tokenRevocationMigration(dialect: StoreDialect): Migration {
  const key = dialect.sortableText;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('token_revocations')
        .addColumn('tenant_id', key, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('subject', key, (c) => c.notNull())
        .addColumn('revoked_before', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'text', (c) => c.notNull())
        .addPrimaryKeyConstraint('token_revocations_pk', ['tenant_id', 'subject'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('token_revocations').ifExists().execute();
    },
  };
}
