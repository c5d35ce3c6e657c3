/**
 * One platform node of the bench's cluster target, started by packages/testing/src/cluster/cluster.ts (option
 * `nodeEntry`) with the cluster's environment: DATABASE_URL (PostgreSQL), REDIS_URL and
 * REDIS_KEY_PREFIX, NODE_ID, JWT_SECRET, TRUST_PROXY behind nginx, plus BENCH_MODEL.
 *
 * The same assembly as the single-node target (`createPlatform(loadConfig(env), { engine })`,
 * the default tenant and its seeded knowledge, retrieval, storage), with the PostgreSQL store,
 * the Redis event log and the Redis rate limiter that the environment selects. Only the answer
 * engine is replaced, by the bench's scripted model. SIGTERM closes gracefully, as in production.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { createPlatform, loadConfig } from '@miptech/server';
import { BENCH_RATE_LIMITS } from './bench-rate-limits.ts';
import { createScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { scriptedEngineOptions } from '../model/scripted-model.ts';
import { modelFromEnv } from './server-child.ts';

// BENCH_CLUSTER_CPU_PROF=<dir>: a V8 CPU profile of this node's life, written when it stops
// (`--cpu-prof` is not accepted in NODE_OPTIONS, and the harness sets the node's arguments).
const profileDir = process.env.BENCH_CLUSTER_CPU_PROF;
const profiler = profileDir ? new Session() : null;
if (profiler) {
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.start');
}

const config = loadConfig(process.env);
const platform = await createPlatform(config, { engine: createScriptedEngine(scriptedEngineOptions(modelFromEnv())) });
// Every node writes the same settings (idempotent) and drops its own cached copy before it listens,
// so no node serves the bench with the default limits.
await platform.services.store.tenants.updateSettings(config.defaultTenantId, { rateLimits: BENCH_RATE_LIMITS });
platform.services.tenants.invalidate(config.defaultTenantId);
const { url } = await platform.listen();
platform.services.logger.info({ url, nodeId: config.nodeId }, 'bench cluster node ready');

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) process.exit(1);
    stopping = true;
    platform.close()
      .then(async () => {
        if (profiler && profileDir) {
          const { profile } = await profiler.post('Profiler.stop');
          writeFileSync(join(profileDir, `${config.nodeId}-${process.pid}.cpuprofile`), JSON.stringify(profile));
        }
      })
      .then(
        () => process.exit(0),
        () => process.exit(1),
      );
  });
}
