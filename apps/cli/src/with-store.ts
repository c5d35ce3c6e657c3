import { createLogger, ensureDefaultTenant, loadConfig, openStore, type OpenedStore, type PlatformConfig } from '@miptech/server';
import type { CliContext } from './cli-command.ts';

/**
 * Opens the store the configuration names (running pending migrations), runs `work`, closes it.
 * Commands that change data use the same database a running server uses.
 */
export async function withStore<T>(context: CliContext, work: (opened: OpenedStore, config: PlatformConfig) => Promise<T>): Promise<T> {
  const config = loadConfig(context.env);
  const opened = await openStore({
    databaseUrl: config.databaseUrl,
    poolSize: Math.min(config.databasePoolSize, 2),
    statementTimeoutMs: config.databaseStatementTimeoutMs,
    ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
  });
  try {
    // Same first-start behaviour as the server, so `miptech token` works on a fresh clone.
    await ensureDefaultTenant(opened.store, config, createLogger('silent'));
    return await work(opened, config);
  } finally {
    await opened.store.close();
  }
}
