/**
 * The versioned schema, the same list of migrations on both dialects (only the body of the
 * full-text one differs). Provided in code rather than read from a folder, so the list is
 * what was type-checked and nothing depends on the working directory. Applied migrations are
 * recorded in `schema_migrations`.
 */
import { Migrator, sql, type Migration, type MigrationResult } from 'kysely';
import { coreSchemaMigration } from './core-schema-migration.ts';
import { privacyBudgetMigration } from './privacy-budget-migration.ts';
import { tokenRevocationMigration } from './token-revocation-migration.ts';
import type { StoreDialect } from './store-dialect.ts';

export const MIGRATION_TABLE = 'schema_migrations';
const MIGRATION_LOCK_TABLE = 'schema_migrations_lock';

/** Every migration by name; names sort in the order they apply. */
export function storeMigrations(dialect: StoreDialect): Record<string, Migration> {
  return {
    '0001_core_schema': coreSchemaMigration(dialect),
    '0002_knowledge_search': dialect.knowledgeSearchMigration,
    '0003_privacy_and_budgets': privacyBudgetMigration(dialect),
    '0004_token_revocations': tokenRevocationMigration(dialect),
  };
}

function migratorFor(dialect: StoreDialect): Migrator {
  const migrations = storeMigrations(dialect);
  return new Migrator({
    db: dialect.db,
    provider: { getMigrations: async () => migrations },
    migrationTableName: MIGRATION_TABLE,
    migrationLockTableName: MIGRATION_LOCK_TABLE,
    ...(dialect.migrationTableSchema === undefined ? {} : { migrationTableSchema: dialect.migrationTableSchema }),
  });
}

/** Attempts at migrating when another schema of the same database disappears meanwhile (see below). */
const MIGRATION_ATTEMPTS = 5;
const MIGRATION_RETRY_DELAY_MS = 50;

/** What a catalogue query reports when an object it listed is dropped under it: schema, table, column. */
const VANISHED_OBJECT_CODES = new Set(['3F000', '42P01', '42703']);

/**
 * Kysely's migrator first lists the tables and columns of every schema of the PostgreSQL
 * database (by name, per row); a schema dropped by someone else during that listing fails it
 * (3F000, 42P01 or 42703 naming that other schema's objects) before any migration of ours ran.
 * Nothing of ours went wrong (test runs and staging setups drop schemas next to each other), so
 * the migration is tried again. An error naming our own schema, or one from a migration itself,
 * is not retried.
 */
function anotherSchemaVanished(error: unknown, results: readonly MigrationResult[] | undefined, dialect: StoreDialect): boolean {
  if (dialect.name !== 'postgres') return false;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !VANISHED_OBJECT_CODES.has(code)) return false;
  if ((results ?? []).some((result) => result.status === 'Error')) return false;
  const message = error instanceof Error ? error.message : '';
  return !message.includes(`"${dialect.migrationTableSchema}"`);
}

/** Applies every pending migration (a no-op when the schema is current). Throws on failure. */
export async function migrateToLatest(dialect: StoreDialect): Promise<string[]> {
  for (let attempt = 1; ; attempt += 1) {
    const { error, results } = await migratorFor(dialect).migrateToLatest();
    if (error === undefined) return (results ?? []).map((result) => result.migrationName);
    if (attempt < MIGRATION_ATTEMPTS && anotherSchemaVanished(error, results, dialect)) {
      await new Promise((resolve) => setTimeout(resolve, MIGRATION_RETRY_DELAY_MS));
      continue;
    }
    const failed = results?.find((result) => result.status === 'Error')?.migrationName;
    throw new Error(`Database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}

/**
 * Whether every migration of this build has been applied. Cheap enough for a readiness probe:
 * one indexed read of a handful of rows, no catalogue introspection.
 */
export async function schemaIsCurrent(dialect: StoreDialect): Promise<boolean> {
  let applied: Set<string>;
  try {
    const table = dialect.migrationTableSchema === undefined ? MIGRATION_TABLE : `${dialect.migrationTableSchema}.${MIGRATION_TABLE}`;
    const { rows } = await sql<{ name: string }>`select name from ${sql.table(table)}`.execute(dialect.db);
    applied = new Set(rows.map((row) => row.name));
  } catch {
    // No migration table yet: nothing has been applied.
    return false;
  }
  return Object.keys(storeMigrations(dialect)).every((name) => applied.has(name));
}
