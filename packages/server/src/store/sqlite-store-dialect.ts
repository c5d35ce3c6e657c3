/**
 * The embedded default: one SQLite file through better-sqlite3. WAL lets readers proceed while
 * a write commits; busy_timeout makes a second process (the CLI next to a running server) wait
 * for the lock instead of failing; synchronous=NORMAL is durable across crashes of the process
 * in WAL mode and much faster than FULL. Prepared statements are reused per SQL text
 * (cached-statement-database.ts); a file database is checkpointed from a worker thread
 * (wal-checkpointer.ts), so no statement on the event loop waits for a checkpoint's fsync.
 */
import { chmodSync, closeSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { ensurePrivateDirectory } from '../base/data-directory.ts';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { cacheStatements } from './cached-statement-database.ts';
import type { StoreDatabase } from './database-schema.ts';
import { SqliteKnowledgeIndex } from './sqlite-knowledge-index.ts';
import { sqliteSearchMigration } from './sqlite-search-migration.ts';
import type { StoreDialect } from './store-dialect.ts';
import { FALLBACK_AUTOCHECKPOINT_PAGES, startWalCheckpointer } from './wal-checkpointer.ts';

const BUSY_TIMEOUT_MS = 5000;
const WAL_SIZE_LIMIT_BYTES = 64 * 1024 * 1024;

/**
 * Creates a missing database file readable by its owner only (0600) in a directory created 0700:
 * SQLite would create it 0644, and gives its -wal and -shm files the database file's mode, so
 * they follow. An existing file keeps the mode the operator gave it.
 */
function createPrivateDatabaseFile(path: string): void {
  ensurePrivateDirectory(dirname(path));
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw error;
  }
  closeSync(fd);
  // An empty file is a valid new database; the mode given to openSync is filtered through the umask.
  chmodSync(path, 0o600);
}

/** Opens (creating it and its directory if needed) the SQLite database at `path`, or `:memory:`. */
export function openSqliteDialect(path: string): StoreDialect {
  const inMemory = path === ':memory:';
  if (!inMemory) createPrivateDatabaseFile(path);
  const database = new Database(path);
  if (!inMemory) {
    database.pragma('journal_mode = WAL');
    database.pragma(`wal_autocheckpoint = ${FALLBACK_AUTOCHECKPOINT_PAGES}`);
    // After a checkpoint lets the WAL start over, a file that grew past this is truncated back.
    database.pragma(`journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
  }
  database.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  database.pragma('foreign_keys = ON');
  database.pragma('synchronous = NORMAL');
  const db = new Kysely<StoreDatabase>({ dialect: new SqliteDialect({ database: cacheStatements(database) }) });
  const checkpointer = inMemory ? null : startWalCheckpointer(path);
  return {
    name: 'sqlite',
    db,
    migrationTableSchema: undefined,
    sortableText: 'text',
    autoIncrementKey: { type: 'integer', sqliteAutoIncrement: true },
    knowledgeSearchMigration: sqliteSearchMigration,
    createKnowledgeIndex: () => new SqliteKnowledgeIndex(db),
    async ping() {
      await sql`select 1`.execute(db);
    },
    async close() {
      // The worker's connection first: the last connection to close checkpoints and removes the WAL.
      await checkpointer?.stop();
      await db.destroy();
    },
  };
}
