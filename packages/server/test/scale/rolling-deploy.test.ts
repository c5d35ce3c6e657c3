/**
 * The scale-out proof as a test: PostgreSQL, Redis, nginx and three platform node processes on
 * 127.0.0.1; 50 @miptech/client visitors converse through nginx while every node is restarted
 * (SIGTERM, start again), then one node is SIGKILLed mid-answer. See
 * packages/testing/src/cluster/rolling-deploy-scenario.ts; `node --import tsx packages/testing/src/cluster/run-rolling-deploy.ts`
 * prints the same figures.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { runRollingDeployScenario } from '@miptech/testing/cluster/rolling-deploy-scenario.ts';
import { testPostgres } from '@miptech/testing/test-databases.ts';
import { REDIS_SKIP_REASON, testRedisUrl } from './helpers/test-redis.ts';

const postgresUrl = testPostgres().url;
const redisUrl = testRedisUrl();

/** The rule of the PostgreSQL and Redis helpers (set: must work; unset: used when they answer), and nginx when installed. */
function skipReason(): string | null {
  if (postgresUrl === null) return `${testPostgres().skip}: cluster proof skipped`;
  if (redisUrl === null) return `${REDIS_SKIP_REASON}: cluster proof skipped`;
  try {
    execFileSync('sh', ['-c', 'command -v nginx'], { stdio: 'ignore' });
  } catch {
    return 'nginx is not installed: cluster proof skipped (apt-get install nginx)';
  }
  return null;
}

const skip = skipReason();

test('rolling deploy and a SIGKILL behind nginx: no visitor loses or repeats a word', { skip: skip ?? false, timeout: 300_000 }, async (t) => {
  const report = await runRollingDeployScenario({
    postgresUrl: postgresUrl ?? '',
    redisUrl: redisUrl ?? '',
    nodeCount: 3,
    visitors: 50,
    chunkCount: 50,
    chunkDelayMs: 40,
  });
  t.diagnostic(
    `answers ${report.answers.total} (${report.answers.complete} complete, ${report.answers.interrupted} interrupted); ` +
      `chunks ${report.chunks.received} received, ${report.chunks.lost} lost, ${report.chunks.duplicates} duplicated; ` +
      `rejoins ${report.rejoins.total} (${report.rejoins.resumed} resumed); ` +
      `resume gap 1001 → next chunk p50 ${report.resumeGapsMs.p50} ms p99 ${report.resumeGapsMs.p99} ms (n=${report.resumeGapsMs.count}); ` +
      `kill: ${report.kill?.interrupted} interrupted, detection p50 ${report.kill?.detectionMs.p50} ms; took ${report.durationMs} ms`,
  );

  // The figures go into the failure messages too: CI prints an assertion's message, not always the
  // diagnostics above.
  const figures = JSON.stringify({ answers: report.answers, chunks: report.chunks, rejoins: report.rejoins, restarts: report.restarts, kill: report.kill && { ...report.kill, detectionMs: undefined } });
  assert.deepEqual(report.mismatches.slice(0, 20), [], `what every visitor saw equals what was stored (${report.mismatches.length} mismatches; ${figures})`);
  assert.deepEqual(report.restarts.map((restart) => restart.exitCode), [0, 0, 0], `every node exits 0 after SIGTERM (${figures})`);
  assert.equal(report.chunks.lost, 0, `no chunk lost (${figures})`);
  assert.equal(report.chunks.duplicates, 0, `no chunk delivered twice (${figures})`);
  assert.equal(report.seqsBackwards, 0, 'seq never goes backwards for a visitor');
  assert.ok(report.resumeGapsMs.count > 0, 'restarts landed in the middle of answers');
  assert.ok(report.rejoins.total > 0, `visitors rejoined (${figures})`);
  assert.equal(report.rejoins.resumed, report.rejoins.total, `every rejoin resumed from last_seq without a gap (${figures})`);
  assert.ok(report.answers.total >= report.visitors * 2, `conversations went on during the deploy (${figures})`);

  const kill = report.kill;
  assert.ok(kill, 'the SIGKILL phase ran');
  assert.ok(kill.interrupted > 0, `answers were being generated on the killed node (${figures})`);
  assert.equal(kill.notified, kill.interrupted, `each of their visitors got generation_interrupted and the terminal event (${figures})`);
  assert.equal(kill.userMessagesKept, true, 'acknowledged user messages are kept');
  assert.equal(report.answers.interrupted, kill.interrupted, `only the killed node’s answers were interrupted (${figures})`);
});
