import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions } from '../src/options.ts';
import { nginxWorkerConnections, type StepRun, type TargetRun } from '../src/orchestrator/run-target.ts';
import { aggregate } from '../src/report/aggregate.ts';
import { resultsDocument, summaryLine } from '../src/report/render-report.ts';
import type { TargetName } from '../src/options.ts';

const summary = (p50: number, p99: number) => ({ count: 100, min: p50, p50, p90: p99, p99, max: p99, mean: p50 });
const phase = (rate: number) => ({ latency: summary(10, 20), count: 100, errors: {}, wallMs: 1000, rate, workerLoad: [{ elu: 0.2 }] });

function step(streams: number, ttfcP50: number, ttfcP99: number, framesPerSecond: number, byRole?: StepRun['serverCoresByRole']): StepRun {
  return {
    chats: streams,
    ttfc: summary(ttfcP50, ttfcP99),
    interChunk: summary(20, 25),
    sent: 10,
    completed: 10,
    malformed: 0,
    framesPerSecond,
    frameTypes: {},
    errors: {},
    workerLoad: [{ elu: 0.2 }],
    serverCpuMs: 100,
    serverCores: 0.5,
    cpuMsPerAnswer: 10,
    generatorCores: 0.1,
    otherCores: 0,
    serverLoop: { elu: 0.5, delayP50Ms: 10, delayP99Ms: 20, delayMaxMs: 30 },
    ...(byRole ? { serverCoresByRole: byRole } : {}),
  };
}

function run(target: TargetName, round: number, handshakes: number, rest: number, ttfc: [number, number], frames: number): TargetRun {
  return {
    target,
    round,
    ok: true,
    handshake: phase(handshakes),
    rest: { ...phase(rest), serverCores: 1, machineCores: 2 },
    steps: [20, 100].map((streams) => step(streams, ttfc[0] + streams / 100, ttfc[1], frames * streams,
      target === 'cluster' ? { node: 0.4, nginx: 0.05, redis: 0.02, postgres: 0.1 } : undefined)),
    ...(target === 'cluster' ? { nodes: 3 } : {}),
    profileFiles: [],
    warnings: [],
    saturation: [],
  };
}

const START = new Date('2026-01-01T00:00:00Z');

test('without the cluster target the results keep their fields and cluster is null', () => {
  const options = parseOptions(['--quick'], {});
  const runs = [run('platform', 1, 500, 1000, [52, 60], 40), run('baseline', 1, 1000, 4000, [50, 55], 40)];
  const doc = resultsDocument(aggregate(runs, options), runs, options, START);
  assert.equal(doc.cluster, null);
  assert.equal(doc.handshake_ratio, 0.5);
  assert.equal(doc.rest_create_ratio, 0.25);
  assert.equal(doc.ttfc_overhead_p50_ms, 2);
  assert.equal(doc.ttfc_overhead_p99_ms, 5);
  assert.equal(doc.frames_ratio, 1);
  assert.doesNotMatch(summaryLine(doc), /cluster/);
});

test('the cluster is paired with the baseline of the same round and reported beside the platform', () => {
  const options = parseOptions(['--quick', '--cluster', '--rounds', '2'], {});
  const runs = [
    run('platform', 1, 500, 1000, [52, 60], 40), run('baseline', 1, 1000, 4000, [50, 55], 40), run('cluster', 1, 400, 400, [60, 90], 30),
    // A slower machine in round 2: the baseline is slower too, and the pairing cancels it.
    run('cluster', 2, 200, 200, [80, 130], 15), run('baseline', 2, 500, 2000, [70, 95], 20), run('platform', 2, 250, 500, [72, 100], 20),
  ];
  const result = aggregate(runs, options);
  const doc = resultsDocument(result, runs, options, START);
  // Existing fields are untouched by the cluster.
  assert.equal(doc.handshake_ratio, 0.5);
  assert.equal(doc.rest_create_ratio, 0.25);
  assert.equal(doc.ttfc_overhead_p50_ms, 2);
  assert.ok(doc.cluster);
  assert.equal(doc.cluster.nodes, 3);
  assert.equal(doc.cluster.headline_streams, 100);
  assert.equal(doc.cluster.ttfc_overhead_p50_ms, 10, 'both rounds: cluster − baseline = +10 ms');
  assert.equal(doc.cluster.ttfc_overhead_p99_ms, 35, 'median of +35 and +35');
  assert.equal(doc.cluster.ttfc_p50_ms, 71, 'median over rounds of 61 and 81');
  assert.equal(doc.cluster.handshake_ratio, 0.4);
  assert.equal(doc.cluster.rest_create_ratio, 0.1);
  assert.equal(doc.cluster.frames_ratio, 0.75, 'median of 0.75 and 0.75 at the top step');
  assert.deepEqual(doc.cluster.cpu_percent_by_role, { node: 40, nginx: 5, redis: 2, postgres: 10 });
  assert.equal(doc.cluster.redis, 'private redis-server');
  const line = summaryLine(doc);
  assert.match(line, /; cluster 3 nodes \(PostgreSQL \+ Redis \+ nginx\): ttfc @100 p50 71 ms \(\+10 ms\) p99 110 ms \(\+35 ms\), frames_ratio 0\.75, handshake_ratio 0\.4, rest_create_ratio 0\.1$/);
  assert.ok(line.startsWith('bench VALID: ttfc overhead @100 p50 2 ms p99 5 ms'), line);
});

test('a failed cluster run is reported, and its figures are missing rather than zero', () => {
  const options = parseOptions(['--quick', '--cluster'], {});
  const failed: TargetRun = { target: 'cluster', round: 1, ok: false, error: 'nginx did not come up', steps: [], profileFiles: [], warnings: [], saturation: [] };
  const runs = [run('platform', 1, 500, 1000, [52, 60], 40), run('baseline', 1, 1000, 4000, [50, 55], 40), failed];
  const result = aggregate(runs, options);
  assert.equal(result.valid, false);
  assert.deepEqual(result.failedRuns, ['cluster round 1: nginx did not come up']);
  const doc = resultsDocument(result, runs, options, START);
  assert.equal(doc.cluster?.ttfc_overhead_p50_ms, null);
  assert.equal(doc.cluster?.handshake_ratio, null);
  assert.match(summaryLine(doc), /^bench INVALID: .*cluster 3 nodes .*frames_ratio n\/a/);
});

test('nginx gets two connections per proxied client, never fewer than the harness default', () => {
  assert.equal(nginxWorkerConnections(parseOptions(['--quick'], {})), 4096);
  const big = parseOptions(['--idle', '5000'], {});
  // 5,000 idle + 602 chats at 500 streams + 32 REST + 50 handshakes in flight, each twice, plus headroom.
  assert.equal(nginxWorkerConnections(big), 2 * (5000 + 602 + 32 + 50) + 512);
});
