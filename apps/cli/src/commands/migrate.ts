import type { CliCommand } from '../cli-command.ts';
import { parseOptions } from '../parse-options.ts';
import { withStore } from '../with-store.ts';

const migrate: CliCommand = {
  usage: `Usage: miptech migrate

Opens DATABASE_URL (by default the SQLite file in the data directory, or PostgreSQL) and applies
every pending migration, creating the SQLite file if there is none (the one command besides serve
that does). The server also migrates on start; run this before a rolling deploy of a new version.`,
  async run(args, context) {
    parseOptions(args, {});
    await withStore(context, async ({ store }, config) => {
      const health = await store.health();
      if (!health.ready) throw new Error(`database not ready: ${health.code ?? ''} ${health.detail ?? ''}`.trim());
      context.stderr(`Database migrated (${store.dialect}${store.dialect === 'sqlite' ? `: ${config.databaseUrl}` : ''}).\n`);
    }, { mayCreate: true });
    return 0;
  },
};

export default migrate;
