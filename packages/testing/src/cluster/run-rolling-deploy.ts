/**
 * Runs the scale-out proof and prints its figures:
 *   node --import tsx packages/testing/src/cluster/run-rolling-deploy.ts [--visitors 50] [--nodes 3] [--chunks 60] [--chunk-delay-ms 40] [--no-kill]
 * Needs PostgreSQL (TEST_DATABASE_URL or DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test),
 * nginx on the PATH, and Redis: TEST_REDIS_URL or REDIS_URL (used with a key prefix of its own), or
 * else a private redis-server. Exits 1 when anything a visitor saw differs from the database.
 */
import { parseArgs } from 'node:util';
import { runRollingDeployScenario, type Percentiles } from './rolling-deploy-scenario.ts';

const { values } = parseArgs({
  options: {
    visitors: { type: 'string', default: '50' },
    nodes: { type: 'string', default: '3' },
    chunks: { type: 'string', default: '60' },
    'chunk-delay-ms': { type: 'string', default: '40' },
    'no-kill': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  },
});

const postgresUrl = process.env.TEST_DATABASE_URL || process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.TEST_REDIS_URL || process.env.REDIS_URL || undefined;
const started = Date.now();
const report = await runRollingDeployScenario({
  postgresUrl,
  ...(redisUrl ? { redisUrl } : {}),
  visitors: Number(values.visitors),
  nodeCount: Number(values.nodes),
  chunkCount: Number(values.chunks),
  chunkDelayMs: Number(values['chunk-delay-ms']),
  kill: !values['no-kill'],
  log: (line) => process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${line}\n`),
});

const ms = (value: number | null): string => (value === null ? '-' : `${Math.round(value)} ms`);
const dist = (p: Percentiles): string => `n=${p.count}  p50 ${ms(p.p50)}  p99 ${ms(p.p99)}  max ${ms(p.max)}`;

if (values.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  const lines = [
    `Rolling deploy: ${report.nodes} nodes behind nginx, ${report.visitors} visitors (@miptech/client)`,
    `  restarts          ${report.restarts.map((r) => `${r.node} exit ${r.exitCode} (${(r.downMs / 1000).toFixed(1)} s down)`).join(', ')}`,
    `  answers           ${report.answers.total} stored: ${report.answers.complete} complete, ${report.answers.interrupted} interrupted, ${report.answers.other} other`,
    `  chunks            ${report.chunks.received} received, ${report.chunks.lost} lost, ${report.chunks.duplicates} duplicated, ${report.seqsBackwards} seq backwards`,
    `  rejoins           ${report.rejoins.total} (${report.rejoins.resumed} resumed without gap, ${report.rejoins.historyReloads} history reloads)`,
    `  resume gap (1001 → next chunk)  ${dist(report.resumeGapsMs)}`,
    `  rejoin gap (1001 → chat_joined) ${dist(report.rejoinGapsMs)}`,
  ];
  if (report.kill) {
    lines.push(
      `SIGKILL ${report.kill.node} mid-answer`,
      `  interrupted       ${report.kill.interrupted} answers, ${report.kill.notified} visitors got generation_interrupted + response_complete`,
      `  detection (kill → terminal event)  ${dist(report.kill.detectionMs)}`,
      `  user messages kept ${report.kill.userMessagesKept ? 'yes' : 'NO'}`,
    );
  }
  lines.push(
    `mismatches between visitors and database: ${report.mismatches.length}`,
    ...report.mismatches.slice(0, 20).map((line) => `  - ${line}`),
    `took ${(report.durationMs / 1000).toFixed(1)} s`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}
const ok =
  report.mismatches.length === 0 &&
  report.chunks.lost === 0 &&
  report.chunks.duplicates === 0 &&
  report.seqsBackwards === 0 &&
  report.restarts.every((restart) => restart.exitCode === 0) &&
  (!report.kill || (report.kill.interrupted > 0 && report.kill.notified === report.kill.interrupted && report.kill.userMessagesKept));
process.exit(ok ? 0 : 1);
