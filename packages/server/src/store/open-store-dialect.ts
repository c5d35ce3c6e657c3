/**
 * The dialect factory: the one place that picks SQLite or PostgreSQL from a database URL.
 */
import { parseDatabaseUrl } from '../base/database-url.ts';
import { openPostgresDialect } from './postgres-store-dialect.ts';
import { openSqliteDialect } from './sqlite-store-dialect.ts';
import type { StoreDialect } from './store-dialect.ts';

export interface StoreDialectOptions {
  databaseUrl: string;
  /** PostgreSQL pool size. @default 10 */
  poolSize?: number;
  /** PostgreSQL statement_timeout. @default 30000 */
  statementTimeoutMs?: number;
  /** PostgreSQL: longest wait for a free pooled connection. @default 30000 */
  acquireTimeoutMs?: number;
  /** PostgreSQL schema (search_path), created if missing. */
  schema?: string;
}

export async function openStoreDialect(options: StoreDialectOptions): Promise<StoreDialect> {
  const location = parseDatabaseUrl(options.databaseUrl);
  if (location.dialect === 'sqlite') return openSqliteDialect(location.path);
  return openPostgresDialect({
    connectionString: location.connectionString,
    ...(options.poolSize === undefined ? {} : { poolSize: options.poolSize }),
    ...(options.statementTimeoutMs === undefined ? {} : { statementTimeoutMs: options.statementTimeoutMs }),
    ...(options.acquireTimeoutMs === undefined ? {} : { acquireTimeoutMs: options.acquireTimeoutMs }),
    ...(options.schema === undefined ? {} : { schema: options.schema }),
  });
}
