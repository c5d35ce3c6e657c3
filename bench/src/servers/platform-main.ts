/**
 * Child-process entry of the platform under test: the production assembly (`createPlatform` with
 * the default SQLite store in a temporary DATA_DIR, the default tenant and its seeded knowledge,
 * retrieval, the in-process event log and rate limiter), with only the answer engine replaced by
 * the bench's scripted model.
 */
import { createPlatform, ensureJwtSecret, loadConfig } from '@miptech/server';
import { BENCH_RATE_LIMITS } from './bench-rate-limits.ts';
import { createScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { scriptedEngineOptions } from '../model/scripted-model.ts';
import { modelFromEnv, runServerChild } from './server-child.ts';
import { installSqlStatistics, renderSqlStatistics } from './sql-statistics.ts';

const sqlStatistics = process.env.BENCH_SQL_STATS === '1';
if (sqlStatistics) installSqlStatistics();

await runServerChild(async () => {
  const config = ensureJwtSecret(loadConfig(process.env));
  const platform = await createPlatform(config, { engine: createScriptedEngine(scriptedEngineOptions(modelFromEnv())) });
  await platform.services.store.tenants.updateSettings(config.defaultTenantId, { rateLimits: BENCH_RATE_LIMITS });
  platform.services.tenants.invalidate(config.defaultTenantId);
  const { url } = await platform.listen();
  return {
    url,
    tenantId: config.defaultTenantId,
    jwtSecret: config.jwtSecret,
    close: async () => {
      await platform.close({ graceMs: 5_000 });
      if (sqlStatistics) console.log(renderSqlStatistics());
    },
  };
});
