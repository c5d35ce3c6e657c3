/**
 * A better-sqlite3 database as Kysely's SQLite driver sees it, with prepared statements reused.
 *
 * Kysely's driver calls `prepare(sql)` for every query, and preparing (parsing and planning the
 * SQL) costs about as much as running one of our small indexed statements: a third of the
 * SQLite time per answer and an eighth of the CPU of a chat creation went to preparing the same
 * few SQL texts again. The repositories build the same text for the same query shape (values are
 * bound parameters), so a small cache keyed by the SQL text catches nearly all of them.
 *
 * Safe to share: better-sqlite3 runs a statement to completion synchronously inside `all`/`run`
 * and resets it before returning, and rebinds every parameter on each call; a schema change
 * makes SQLite re-prepare a cached statement by itself. The one exception is a statement still
 * being iterated (`iterate`, Kysely's `stream()`): that one is `busy`, and a fresh statement is
 * prepared instead of handing out the busy one.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteDatabase, SqliteStatement } from 'kysely';
import { LruMap } from '../base/lru-map.ts';

/** Distinct SQL texts kept; the app has a few dozen, the bound stops a text built per call (batch inserts) from growing it. */
const DEFAULT_CAPACITY = 256;

export interface CachedStatementDatabase extends SqliteDatabase {
  /** Statements currently cached (tests and diagnostics). */
  readonly cachedStatements: number;
}

/** Wraps `database` so `prepare` returns a cached statement per SQL text (least recently used dropped first). */
export function cacheStatements(database: BetterSqlite3.Database, capacity = DEFAULT_CAPACITY): CachedStatementDatabase {
  const cache = new LruMap<string, BetterSqlite3.Statement>(capacity);
  return {
    prepare(sql: string): SqliteStatement {
      const cached = cache.get(sql);
      if (cached !== undefined && !cached.busy) return cached;
      const statement = database.prepare(sql);
      // A busy cached statement stays cached (its iterator still runs); this one is used once.
      if (cached === undefined) cache.set(sql, statement);
      return statement;
    },
    close() {
      cache.clear();
      database.close();
    },
    get cachedStatements() {
      return cache.size;
    },
  };
}
