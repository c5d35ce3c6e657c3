/**
 * What differs between SQLite and PostgreSQL, gathered in one object built by the dialect
 * factory (open-store-dialect.ts). Everything else (migrations, repositories) is written once
 * against `db`.
 */
import type { ColumnDataType, Expression, Kysely, Migration } from 'kysely';
import type { KnowledgeIndex } from './knowledge-index.ts';
import type { StoreDatabase } from './database-schema.ts';

/** A column type the shared migration can pass to Kysely's `addColumn`. */
export type ColumnType = ColumnDataType | Expression<unknown>;

export interface StoreDialect {
  readonly name: 'sqlite' | 'postgres';
  readonly db: Kysely<StoreDatabase>;
  /** Schema holding the migration tables (PostgreSQL); undefined on SQLite. */
  readonly migrationTableSchema: string | undefined;
  /**
   * Text compared byte-wise: ids, ISO timestamps. PostgreSQL needs `collate "C"` so a locale
   * collation cannot reorder ids or timestamps; SQLite compares bytes already.
   */
  readonly sortableText: ColumnType;
  /** Column type of an auto-incrementing 64-bit integer primary key. */
  readonly autoIncrementKey: { type: ColumnType; sqliteAutoIncrement: boolean };
  /** The migration that builds the full-text search structures over `knowledge_chunks`. */
  readonly knowledgeSearchMigration: Migration;
  createKnowledgeIndex(): KnowledgeIndex;
  /** Throws when the database cannot be reached (used by health()). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
