/**
 * The human-readable table, the results file's content and the one-line summary.
 */
import { availableParallelism, cpus, totalmem } from 'node:os';
import type { BenchOptions } from '../options.ts';
import type { TargetRun } from '../orchestrator/run-target.ts';
import type { Aggregate, ClusterAggregate } from './aggregate.ts';

const round2 = (value: number) => (Number.isFinite(value) ? Math.round(value * 100) / 100 : null);

function fmt(value: number | undefined, digits = 1): string {
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

function signed(value: number, digits = 2): string {
  return Number.isFinite(value) ? `${value >= 0 ? '+' : ''}${value.toFixed(digits)}` : '—';
}

function row(cells: string[], widths: number[]): string {
  return cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 10) : cell.padStart(widths[i] ?? 10))).join('  ');
}

export function renderTable(result: Aggregate, options: BenchOptions): string {
  const p = result.platform;
  const b = result.baseline;
  const lines: string[] = [];
  const w = [34, 14, 14, 16, 10];
  lines.push(row(['', 'platform', 'baseline', 'platform/base', 'target'], w));
  lines.push(row(['handshake p50 / p99 (ms)', `${fmt(p?.handshakeP50Ms)} / ${fmt(p?.handshakeP99Ms)}`, `${fmt(b?.handshakeP50Ms)} / ${fmt(b?.handshakeP99Ms)}`, '', ''], w));
  lines.push(row(['handshakes / s', fmt(p?.handshakesPerSecond, 0), fmt(b?.handshakesPerSecond, 0), fmt(result.handshakeRatio, 2), '≥ 0.60'], w));
  lines.push(row(['POST /api/v1/chat requests / s', fmt(p?.restRequestsPerSecond, 0), fmt(b?.restRequestsPerSecond, 0), fmt(result.restCreateRatio, 2), '≥ 0.40'], w));
  lines.push(row(['memory per idle session (KB RSS)', fmt(p?.memPerConnKb), fmt(b?.memPerConnKb), '', '≤ 8'], w));
  lines.push(row(['  of which V8 heap (KB)', fmt(p?.heapPerConnKb), fmt(b?.heapPerConnKb), '', ''], w));
  lines.push('');
  const sw = [8, 22, 22, 14, 24, 14, 12, 14];
  lines.push(row(['streams', 'ttfc p50 p/b/+ (ms)', 'ttfc p99 p/b/+ (ms)', 'gap p99 p/b', 'frames/s p/b (ratio)', 'CPU ms/answer', 'server CPU%', 'answers p/b'], sw));
  options.steps.forEach((streams, i) => {
    const ps = p?.steps[i];
    const bs = b?.steps[i];
    const c = result.comparisons[i];
    lines.push(row([
      String(streams),
      `${fmt(ps?.ttfcP50Ms)}/${fmt(bs?.ttfcP50Ms)}/${signed(c?.ttfcOverheadP50Ms ?? Number.NaN)}`,
      `${fmt(ps?.ttfcP99Ms)}/${fmt(bs?.ttfcP99Ms)}/${signed(c?.ttfcOverheadP99Ms ?? Number.NaN)}`,
      `${fmt(ps?.interChunkP99Ms)}/${fmt(bs?.interChunkP99Ms)}`,
      `${fmt(ps?.framesPerSecond, 0)}/${fmt(bs?.framesPerSecond, 0)} (${fmt(c?.framesRatio, 2)})`,
      `${fmt(ps?.cpuMsPerAnswer, 2)}/${fmt(bs?.cpuMsPerAnswer, 2)}`,
      `${fmt(ps?.serverCpuPercent, 0)}/${fmt(bs?.serverCpuPercent, 0)}`,
      `${ps ? `${ps.completed}/${ps.sent}` : '—'} ${bs ? `${bs.completed}/${bs.sent}` : '—'}`,
    ], sw));
  });
  if (result.cluster) lines.push('', ...renderClusterTable(result.cluster, result, options));
  lines.push('');
  lines.push(`targets at ${options.headlineStep} streams: ttfc overhead p50 ≤ 0.5 ms, p99 ≤ 3 ms; frames ratio ≥ 0.70 (top step ${options.steps[options.steps.length - 1]})`);
  for (const [name, figures] of [['platform', p], ['baseline', b], ['cluster', result.cluster?.figures ?? null]] as const) {
    for (const step of figures?.steps ?? []) {
      const errors = Object.entries(step.errors);
      if (errors.length > 0 || step.malformed > 0) {
        lines.push(`${name} @${step.streams}: ${step.malformed} malformed answers, errors ${JSON.stringify(step.errors)}`);
      }
    }
  }
  if (result.warnings.length > 0) {
    lines.push(`WARNING, noisy machine: latencies include scheduling delays of the machine (both servers alike):\n  ${result.warnings.join('\n  ')}`);
  }
  if (result.failedRuns.length > 0) lines.push(`FAILED RUNS:\n  ${result.failedRuns.join('\n  ')}`);
  if (!result.valid && result.invalidReasons.length > 0) {
    lines.push(`INVALID: the load generator's own CPU saturated, so latencies include its own delay:\n  ${result.invalidReasons.join('\n  ')}`);
  }
  return lines.join('\n');
}

/** The cluster target against the same baseline runs (the floor of the same rounds). */
function renderClusterTable(cluster: ClusterAggregate, result: Aggregate, options: BenchOptions): string[] {
  const c = cluster.figures;
  const b = result.baseline;
  const lines: string[] = [];
  const w = [34, 14, 14, 16];
  lines.push(`cluster: ${cluster.nodes} platform nodes on PostgreSQL + Redis behind nginx, on the same machine (hop costs, not scale)`);
  lines.push(row(['', 'cluster', 'baseline', 'cluster/base'], w));
  lines.push(row(['handshake p50 / p99 (ms)', `${fmt(c?.handshakeP50Ms)} / ${fmt(c?.handshakeP99Ms)}`, `${fmt(b?.handshakeP50Ms)} / ${fmt(b?.handshakeP99Ms)}`, ''], w));
  lines.push(row(['handshakes / s', fmt(c?.handshakesPerSecond, 0), fmt(b?.handshakesPerSecond, 0), fmt(cluster.handshakeRatio, 2)], w));
  lines.push(row(['POST /api/v1/chat requests / s', fmt(c?.restRequestsPerSecond, 0), fmt(b?.restRequestsPerSecond, 0), fmt(cluster.restCreateRatio, 2)], w));
  lines.push('');
  const sw = [8, 22, 22, 14, 24, 14, 44, 12];
  lines.push(row(['streams', 'ttfc p50 c/b/+ (ms)', 'ttfc p99 c/b/+ (ms)', 'gap p99 c/b', 'frames/s c/b (ratio)', 'CPU ms/answer', 'cluster CPU% (node/nginx/redis/pg)', 'answers c'], sw));
  options.steps.forEach((streams, i) => {
    const cs = c?.steps[i];
    const bs = b?.steps[i];
    const cmp = cluster.comparisons[i];
    const byRole = cs?.serverCpuPercentByRole ?? {};
    lines.push(row([
      String(streams),
      `${fmt(cs?.ttfcP50Ms)}/${fmt(bs?.ttfcP50Ms)}/${signed(cmp?.ttfcOverheadP50Ms ?? Number.NaN)}`,
      `${fmt(cs?.ttfcP99Ms)}/${fmt(bs?.ttfcP99Ms)}/${signed(cmp?.ttfcOverheadP99Ms ?? Number.NaN)}`,
      `${fmt(cs?.interChunkP99Ms)}/${fmt(bs?.interChunkP99Ms)}`,
      `${fmt(cs?.framesPerSecond, 0)}/${fmt(bs?.framesPerSecond, 0)} (${fmt(cmp?.framesRatio, 2)})`,
      `${fmt(cs?.cpuMsPerAnswer, 2)}/${fmt(bs?.cpuMsPerAnswer, 2)}`,
      `${fmt(cs?.serverCpuPercent, 0)} (${['node', 'nginx', 'redis', 'postgres'].map((role) => fmt(byRole[role], 0)).join('/')})`,
      cs ? `${cs.completed}/${cs.sent}` : '—',
    ], sw));
  });
  return lines;
}

/** The `cluster` object of latest.json (null when the cluster target did not run). */
export function clusterResults(result: Aggregate, options: BenchOptions) {
  const cluster = result.cluster;
  if (!cluster) return null;
  const headlineIndex = options.steps.indexOf(options.headlineStep);
  const headline = headlineIndex >= 0 ? cluster.figures?.steps[headlineIndex] : undefined;
  const top = cluster.figures?.steps[options.steps.length - 1];
  return {
    nodes: cluster.nodes,
    store: 'postgresql',
    redis: options.cluster.redisUrl ? 'shared (own key prefix)' : 'private redis-server',
    load_balancer: 'nginx',
    headline_streams: options.headlineStep,
    ttfc_p50_ms: round2(headline?.ttfcP50Ms ?? Number.NaN),
    ttfc_p99_ms: round2(headline?.ttfcP99Ms ?? Number.NaN),
    ttfc_overhead_p50_ms: round2(cluster.headline?.ttfcOverheadP50Ms ?? Number.NaN),
    ttfc_overhead_p99_ms: round2(cluster.headline?.ttfcOverheadP99Ms ?? Number.NaN),
    frames_ratio: round2(cluster.framesRatio),
    handshake_ratio: round2(cluster.handshakeRatio),
    rest_create_ratio: round2(cluster.restCreateRatio),
    handshakes_per_second: round2(cluster.figures?.handshakesPerSecond ?? Number.NaN),
    rest_requests_per_second: round2(cluster.figures?.restRequestsPerSecond ?? Number.NaN),
    top_step_frames_per_second: round2(top?.framesPerSecond ?? Number.NaN),
    cpu_ms_per_answer: round2(headline?.cpuMsPerAnswer ?? Number.NaN),
    cpu_percent_by_role: headline?.serverCpuPercentByRole
      ? Object.fromEntries(Object.entries(headline.serverCpuPercentByRole).map(([role, value]) => [role, round2(value)]))
      : null,
  };
}

export function machineInfo() {
  return {
    cores: availableParallelism(),
    cpu_model: cpus()[0]?.model ?? 'unknown',
    memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}


export function resultsDocument(result: Aggregate, runs: TargetRun[], options: BenchOptions, startedAt: Date) {
  return {
    date: new Date().toISOString(),
    started_at: startedAt.toISOString(),
    valid: result.valid,
    invalid_reasons: result.invalidReasons,
    warnings: result.warnings,
    failed_runs: result.failedRuns,
    machine: machineInfo(),
    headline_streams: options.headlineStep,
    ttfc_overhead_p50_ms: round2(result.headline?.ttfcOverheadP50Ms ?? Number.NaN),
    ttfc_overhead_p99_ms: round2(result.headline?.ttfcOverheadP99Ms ?? Number.NaN),
    frames_ratio: round2(result.framesRatio),
    handshake_ratio: round2(result.handshakeRatio),
    rest_create_ratio: round2(result.restCreateRatio),
    mem_per_conn_kb: round2(result.platform?.memPerConnKb ?? Number.NaN),
    baseline_mem_per_conn_kb: round2(result.baseline?.memPerConnKb ?? Number.NaN),
    cluster: clusterResults(result, options),
    options,
    figures: {
      platform: result.platform,
      baseline: result.baseline,
      comparisons: result.comparisons,
      ...(result.cluster ? { cluster: result.cluster.figures, cluster_comparisons: result.cluster.comparisons } : {}),
    },
    runs,
  };
}

function signedOrNa(value: number | null): string {
  return value === null ? 'n/a' : `${value >= 0 ? '+' : ''}${value} ms`;
}

export function summaryLine(doc: ReturnType<typeof resultsDocument>): string {
  const v = (value: number | null, unit = '') => (value === null ? 'n/a' : `${value}${unit}`);
  return `bench ${doc.valid ? 'VALID' : 'INVALID'}: ttfc overhead @${doc.headline_streams} p50 ${v(doc.ttfc_overhead_p50_ms, ' ms')} p99 ${v(doc.ttfc_overhead_p99_ms, ' ms')}, ` +
    `frames_ratio ${v(doc.frames_ratio)}, handshake_ratio ${v(doc.handshake_ratio)}, rest_create_ratio ${v(doc.rest_create_ratio)}, ` +
    `mem_per_conn_kb ${v(doc.mem_per_conn_kb)} (baseline ${v(doc.baseline_mem_per_conn_kb)}), ${doc.machine.cores} cores, node ${doc.machine.node}, ${doc.date}` +
    (doc.cluster
      ? `; cluster ${doc.cluster.nodes} nodes (PostgreSQL + Redis + nginx): ttfc @${doc.cluster.headline_streams} p50 ${v(doc.cluster.ttfc_p50_ms, ' ms')} ` +
        `(${signedOrNa(doc.cluster.ttfc_overhead_p50_ms)}) p99 ${v(doc.cluster.ttfc_p99_ms, ' ms')} (${signedOrNa(doc.cluster.ttfc_overhead_p99_ms)}), ` +
        `frames_ratio ${v(doc.cluster.frames_ratio)}, handshake_ratio ${v(doc.cluster.handshake_ratio)}, rest_create_ratio ${v(doc.cluster.rest_create_ratio)}`
      : '');
}
