/**
 * Opening the database: picks the dialect from the URL, applies pending migrations (unless
 * told not to) and returns the Store and the KnowledgeIndex over one connection pool.
 */
import type { KnowledgeIndex } from './knowledge-index.ts';
import { openStoreDialect, type StoreDialectOptions } from './open-store-dialect.ts';
import { SqlStore } from './sql-store.ts';
import { migrateToLatest } from './store-migrations.ts';
import type { Store } from './store.ts';

export interface OpenStoreOptions extends StoreDialectOptions {
  /** Apply pending migrations before returning. @default true */
  migrate?: boolean;
  /** Called once connected, before migrating (readiness tells connecting from migrating). */
  onConnected?: () => void;
}

export interface OpenedStore {
  store: Store;
  knowledge: KnowledgeIndex;
}

/**
 * Opens the store at `databaseUrl`: `sqlite:<path>`, `file:<path>`, a plain path or
 * `sqlite::memory:` for SQLite; `postgres://…` or `postgresql://…` for PostgreSQL.
 * Throws `AppError('db_not_ready')` when PostgreSQL cannot be reached.
 */
export async function openStore(options: OpenStoreOptions): Promise<OpenedStore> {
  const dialect = await openStoreDialect(options);
  const store = new SqlStore(dialect);
  try {
    options.onConnected?.();
    if (options.migrate ?? true) await migrateToLatest(dialect);
  } catch (error) {
    await store.close();
    throw error;
  }
  return { store, knowledge: dialect.createKnowledgeIndex() };
}
