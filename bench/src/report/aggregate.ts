/**
 * Turns the runs of every round into the reported figures: medians over rounds for each server,
 * and the platform's overhead or ratio against the baseline paired WITHIN a round (the two ran
 * back to back, so slow drifts of a noisy machine cancel), then the median of those pairs.
 * The cluster target (when run) is compared with the same baseline runs in the same way.
 */
import { median } from '../stats/samples.ts';
import type { BenchOptions, TargetName } from '../options.ts';
import type { StepRun, TargetRun } from '../orchestrator/run-target.ts';

export interface TargetFigures {
  handshakeP50Ms: number;
  handshakeP99Ms: number;
  handshakesPerSecond: number;
  chatCreationP50Ms: number;
  restRequestsPerSecond: number;
  restP99Ms: number;
  memPerConnKb: number;
  heapPerConnKb: number;
  steps: Array<{
    streams: number;
    ttfcP50Ms: number;
    ttfcP99Ms: number;
    interChunkP99Ms: number;
    framesPerSecond: number;
    cpuMsPerAnswer: number;
    serverCpuPercent: number;
    /** Cluster target: CPU % per kind of process (node, nginx, redis, postgres), median over rounds. */
    serverCpuPercentByRole?: Record<string, number>;
    generatorCpuPercent: number;
    completed: number;
    sent: number;
    malformed: number;
    errors: Record<string, number>;
  }>;
}

export interface StepComparison {
  streams: number;
  ttfcOverheadP50Ms: number;
  ttfcOverheadP99Ms: number;
  framesRatio: number;
  cpuPerAnswerRatio: number;
}

/** A target measured against the baseline of the same rounds. */
export interface VersusBaseline {
  comparisons: StepComparison[];
  handshakeRatio: number;
  restCreateRatio: number;
  /** Frames per second at the top step (saturation), target over baseline. */
  framesRatio: number;
  headline: StepComparison | null;
}

export interface ClusterAggregate extends VersusBaseline {
  nodes: number;
  figures: TargetFigures | null;
}

export interface Aggregate {
  platform: TargetFigures | null;
  baseline: TargetFigures | null;
  /** The cluster target, or null when it did not run. */
  cluster: ClusterAggregate | null;
  comparisons: StepComparison[];
  handshakeRatio: number;
  restCreateRatio: number;
  /** Frames per second at the top step (saturation), platform over baseline. */
  framesRatio: number;
  headline: StepComparison | null;
  valid: boolean;
  invalidReasons: string[];
  warnings: string[];
  failedRuns: string[];
}

function stepOf(run: TargetRun, streams: number): StepRun | undefined {
  return run.steps.find((s) => s.chats === streams);
}

function sumErrors(list: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const errors of list) for (const [k, v] of Object.entries(errors)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function figures(runs: TargetRun[], options: BenchOptions): TargetFigures | null {
  const ok = runs.filter((r) => r.ok);
  if (ok.length === 0) return null;
  const m = (pick: (run: TargetRun) => number | undefined) => median(ok.map((r) => pick(r) ?? Number.NaN));
  return {
    handshakeP50Ms: m((r) => r.handshake?.latency.p50),
    handshakeP99Ms: m((r) => r.handshake?.latency.p99),
    handshakesPerSecond: m((r) => r.handshake?.rate),
    chatCreationP50Ms: m((r) => r.chatCreation?.latency.p50),
    restRequestsPerSecond: m((r) => r.rest?.rate),
    restP99Ms: m((r) => r.rest?.latency.p99),
    memPerConnKb: m((r) => (r.memory ? r.memory.perConnectionBytes / 1024 : undefined)),
    heapPerConnKb: m((r) => (r.memory ? r.memory.heapPerConnectionBytes / 1024 : undefined)),
    steps: options.steps.map((streams) => {
      const ms = (pick: (step: StepRun) => number) => median(ok.map((r) => {
        const step = stepOf(r, streams);
        return step ? pick(step) : Number.NaN;
      }));
      const all = ok.map((r) => stepOf(r, streams)).filter((s): s is StepRun => s !== undefined);
      const roles = [...new Set(all.flatMap((s) => Object.keys(s.serverCoresByRole ?? {})))];
      return {
        streams,
        ttfcP50Ms: ms((s) => s.ttfc.p50),
        ttfcP99Ms: ms((s) => s.ttfc.p99),
        interChunkP99Ms: ms((s) => s.interChunk.p99),
        framesPerSecond: ms((s) => s.framesPerSecond),
        cpuMsPerAnswer: ms((s) => s.cpuMsPerAnswer),
        serverCpuPercent: ms((s) => s.serverCores * 100),
        ...(roles.length > 0 ? {
          serverCpuPercentByRole: Object.fromEntries(roles.map((role) => [role, ms((s) => (s.serverCoresByRole?.[role as keyof typeof s.serverCoresByRole] ?? 0) * 100)])),
        } : {}),
        generatorCpuPercent: ms((s) => s.generatorCores * 100),
        completed: all.reduce((sum, s) => sum + s.completed, 0),
        sent: all.reduce((sum, s) => sum + s.sent, 0),
        malformed: all.reduce((sum, s) => sum + s.malformed, 0),
        errors: sumErrors(all.map((s) => s.errors)),
      };
    }),
  };
}

/** Median over rounds of f(target run, baseline run of the same round). */
function paired(runs: TargetRun[], target: TargetName, f: (run: TargetRun, baseline: TargetRun) => number): number {
  const values: number[] = [];
  for (const run of runs.filter((r) => r.target === target && r.ok)) {
    const baseline = runs.find((r) => r.target === 'baseline' && r.ok && r.round === run.round);
    if (baseline) values.push(f(run, baseline));
  }
  return median(values);
}

function versusBaseline(runs: TargetRun[], target: TargetName, options: BenchOptions): VersusBaseline {
  const comparisons = options.steps.map((streams): StepComparison => {
    const both = (f: (p: StepRun, b: StepRun) => number) => paired(runs, target, (p, b) => {
      const ps = stepOf(p, streams);
      const bs = stepOf(b, streams);
      return ps && bs ? f(ps, bs) : Number.NaN;
    });
    return {
      streams,
      ttfcOverheadP50Ms: both((p, b) => p.ttfc.p50 - b.ttfc.p50),
      ttfcOverheadP99Ms: both((p, b) => p.ttfc.p99 - b.ttfc.p99),
      framesRatio: both((p, b) => p.framesPerSecond / b.framesPerSecond),
      cpuPerAnswerRatio: both((p, b) => p.cpuMsPerAnswer / b.cpuMsPerAnswer),
    };
  });
  const top = comparisons[comparisons.length - 1];
  return {
    comparisons,
    handshakeRatio: paired(runs, target, (p, b) => (p.handshake?.rate ?? Number.NaN) / (b.handshake?.rate ?? Number.NaN)),
    restCreateRatio: paired(runs, target, (p, b) => (p.rest?.rate ?? Number.NaN) / (b.rest?.rate ?? Number.NaN)),
    framesRatio: top?.framesRatio ?? Number.NaN,
    headline: comparisons.find((c) => c.streams === options.headlineStep) ?? null,
  };
}

export function aggregate(runs: TargetRun[], options: BenchOptions): Aggregate {
  const byTarget = (target: TargetName) => runs.filter((r) => r.target === target);
  const platform = versusBaseline(runs, 'platform', options);
  const clusterRuns = byTarget('cluster');
  const invalidReasons = runs.flatMap((r) => r.saturation.map((s) => `${r.target} round ${r.round}: ${s}`));
  const warnings = runs.flatMap((r) => r.warnings.map((w) => `${r.target} round ${r.round}: ${w}`));
  const failedRuns = runs.filter((r) => !r.ok).map((r) => `${r.target} round ${r.round}: ${r.error ?? 'failed'}`);
  return {
    platform: figures(byTarget('platform'), options),
    baseline: figures(byTarget('baseline'), options),
    cluster: clusterRuns.length === 0 ? null : {
      nodes: clusterRuns.find((r) => r.nodes !== undefined)?.nodes ?? options.cluster.nodes,
      figures: figures(clusterRuns, options),
      ...versusBaseline(runs, 'cluster', options),
    },
    comparisons: platform.comparisons,
    handshakeRatio: platform.handshakeRatio,
    restCreateRatio: platform.restCreateRatio,
    framesRatio: platform.framesRatio,
    headline: platform.headline,
    valid: invalidReasons.length === 0 && failedRuns.length === 0,
    invalidReasons,
    warnings,
    failedRuns,
  };
}
