/**
 * Migration 0003: what retention, visitor erasure and token budgets need, on both dialects.
 *
 * - `token_usage`: tokens spent per UTC day by one visitor (`scope` 'visitor', `subject` its sub) or
 *   by the whole tenant (`scope` 'tenant', `subject` ''). One row per (tenant, scope, subject, day),
 *   grown by an upsert after each answer; read before the next model call.
 * - an index on chats by (tenant, visitor): erasure and export find a visitor's chats with it;
 * - an index on chats by (tenant, created_at): the retention purge walks the oldest chats first.
 */
import type { Kysely, Migration } from 'kysely';
import type { StoreDialect } from './store-dialect.ts';

export function privacyBudgetMigration(dialect: StoreDialect): Migration {
  const key = dialect.sortableText;
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('token_usage')
        .addColumn('tenant_id', key, (c) => c.notNull().references('tenants.id').onDelete('cascade'))
        .addColumn('scope', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        // The UTC day, YYYY-MM-DD: sorts and compares as text.
        .addColumn('day', key, (c) => c.notNull())
        .addColumn('tokens', 'bigint', (c) => c.notNull().defaultTo(0))
        .addPrimaryKeyConstraint('token_usage_pk', ['tenant_id', 'scope', 'subject', 'day'])
        .execute();
      await db.schema.createIndex('chats_tenant_visitor_idx').on('chats').columns(['tenant_id', 'visitor_id']).execute();
      await db.schema.createIndex('chats_tenant_created_idx').on('chats').columns(['tenant_id', 'created_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropIndex('chats_tenant_created_idx').ifExists().execute();
      await db.schema.dropIndex('chats_tenant_visitor_idx').ifExists().execute();
      await db.schema.dropTable('token_usage').ifExists().execute();
    },
  };
}
