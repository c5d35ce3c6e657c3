import { existsSync } from 'node:fs';
import {
  DATA_DIR_VARIABLE,
  createLogger,
  ensureDefaultTenant,
  loadConfig,
  openStore,
  parseDatabaseUrl,
  type OpenedStore,
  type PlatformConfig,
} from '@miptech/server';
import type { CliContext } from './cli-command.ts';

export interface WithStoreOptions {
  /**
   * Whether the command may create a SQLite database that does not exist yet (`migrate`). Others
   * refuse: a missing file almost always means the wrong data directory, and creating one there
   * would split the platform's state (a second database, default tenant and keys).
   */
  mayCreate?: boolean;
}

/** Thrown when the configured SQLite file does not exist and the command may not create it. */
export class NoDatabaseError extends Error {
  override name = 'NoDatabaseError';
}

/** Refuses a SQLite database file that does not exist (PostgreSQL and :memory: are not files). */
function assertDatabaseExists(config: PlatformConfig): void {
  const location = parseDatabaseUrl(config.databaseUrl);
  if (location.dialect !== 'sqlite' || location.path === ':memory:' || existsSync(location.path)) return;
  throw new NoDatabaseError(
    `no database at ${location.path} (data directory ${config.dataDir}). ` +
      '`miptech serve` creates it on its first start (`miptech migrate` creates an empty one). ' +
      `If the platform keeps its data elsewhere, set ${DATA_DIR_VARIABLE} to that directory (or DATABASE_URL to its database).`,
  );
}

/**
 * Opens the store the configuration names (running pending migrations), runs `work`, closes it.
 * Commands that change data use the same database a running server uses.
 */
export async function withStore<T>(
  context: CliContext,
  work: (opened: OpenedStore, config: PlatformConfig) => Promise<T>,
  options: WithStoreOptions = {},
): Promise<T> {
  const config = loadConfig(context.env);
  if (!options.mayCreate) assertDatabaseExists(config);
  const opened = await openStore({
    databaseUrl: config.databaseUrl,
    poolSize: Math.min(config.databasePoolSize, 2),
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
  });
  try {
    // The same first-start behaviour as the server, so a database made by `migrate` has the default tenant.
    await ensureDefaultTenant(opened.store, config, createLogger('silent'));
    return await work(opened, config);
  } finally {
    await opened.store.close();
  }
}
