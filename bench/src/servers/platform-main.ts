/**
 * Child-process entry of the platform under test: the production assembly (`createPlatform` with
 * the default SQLite store in a temporary DATA_DIR, the default tenant and its seeded knowledge,
 * retrieval, the in-process event log and rate limiter), with only the answer engine replaced by
 * the bench's scripted model.
 */
import { createPlatform, loadConfig } from '@miptech/server';
import { ScriptedAnswerEngine } from './scripted-answer-engine.ts';
import { modelFromEnv, runServerChild } from './server-child.ts';
import { installSqlStatistics, renderSqlStatistics } from './sql-statistics.ts';

/**
 * The load comes from one address and far exceeds a visitor's pace; these limits let it through.
 * They are set on the default tenant of this run's throw-away database only: the platform's
 * defaults and every real deployment keep their own limits, and the limiter still runs on every
 * request and message as in production.
 */
const BENCH_RATE_LIMITS = { messagesPerMinute: 1_000_000, requestsPerMinute: 100_000_000, chatsPerHour: 100_000_000 };

const sqlStatistics = process.env.BENCH_SQL_STATS === '1';
if (sqlStatistics) installSqlStatistics();

await runServerChild(async () => {
  const config = loadConfig(process.env);
  const platform = await createPlatform(config, { engine: new ScriptedAnswerEngine(modelFromEnv()) });
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
