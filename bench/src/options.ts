/**
 * Command-line options of `npm run bench`. `--quick` is a smoke run (under a minute); the full
 * run follows issue 7: steps 20/100/200/500 over 1,000 idle joined connections, 3 rounds.
 * `--cluster` adds the scaled-out target (N nodes on PostgreSQL + Redis behind nginx) to every
 * round; it is not in the default run because it needs those servers.
 */
import { availableParallelism } from 'node:os';
import { DEFAULT_MODEL, type ScriptedModelOptions } from './model/scripted-model.ts';

export type TargetName = 'platform' | 'baseline' | 'cluster';

const TARGET_NAMES: readonly TargetName[] = ['platform', 'baseline', 'cluster'];

export interface ClusterTargetOptions {
  /** Platform node processes behind nginx. */
  nodes: number;
  /** PostgreSQL server; the run creates and drops a database of its own on it. */
  postgresUrl: string;
  /** A shared Redis used under a key prefix of the run's own; null: a private redis-server. */
  redisUrl: string | null;
}

export interface BenchOptions {
  quick: boolean;
  rounds: number;
  targets: TargetName[];
  /** Concurrent streaming answers per step. */
  steps: number[];
  /** The step whose overhead is the headline (issue 7: 200 streams). */
  headlineStep: number;
  idleConnections: number;
  memorySessions: number;
  stepSeconds: number;
  /** An unrecorded step at the smallest size before the measured ones. */
  warmupSeconds: number;
  /** Pause between a chat's answer ending and its next message (ideal model timing). */
  gapMs: number;
  restSeconds: number;
  restConnections: number;
  handshakeConcurrency: number;
  workers: number;
  model: ScriptedModelOptions;
  /** A generator thread busier than this (event-loop utilisation) invalidates the run. */
  eluLimit: number;
  /** Generator sends later than this at p99 (any cause, e.g. a busy machine) are reported as a warning. */
  maxLatenessMs: number;
  /** Before each server run, wait up to this long for other processes to go quiet. */
  quietWaitSeconds: number;
  /** Scheduling priority (nice value, negative needs root) of the server and generator processes. */
  nice: number;
  /** LOG_LEVEL of the platform under test. */
  platformLogLevel: string;
  /** Profile the platform with --cpu-prof (one round, platform only). */
  profile: boolean;
  out: string;
  cluster: ClusterTargetOptions;
}

export const USAGE = `npm run bench -- [options]
  --quick                  smoke run (< 60 s): small steps, 1 round
  --rounds N               rounds, each runs every target once (default 3; quick 1)
  --targets a,b            platform,baseline,cluster (default platform,baseline)
  --cluster                add the cluster target: N nodes on PostgreSQL + Redis behind nginx
  --cluster-nodes N        nodes of the cluster target (default 3)
  --postgres-url URL       PostgreSQL server for the cluster (default $TEST_DATABASE_URL, $DATABASE_URL
                           or postgres://postgres@127.0.0.1:5432/test; a database of the run's own is created)
  --redis-url URL          a shared Redis for the cluster (own key prefix); default a private redis-server
  --steps 20,100,200,500   concurrent streaming answers per step
  --idle N                 idle joined connections under the steps (default 1000)
  --memory-sessions N      idle sessions for the memory-per-connection figure (default 5000)
  --step-seconds N         scheduled sends per step last N seconds (default 10)
  --warmup-seconds N       unrecorded warm-up step before the measured ones (default 3; quick 1)
  --rest-seconds N         POST /api/v1/chat throughput phase length (default 5)
  --rest-connections N     keep-alive connections of that phase (default 32)
  --handshake-concurrency N  handshakes in flight (default 50)
  --workers N              load-generator threads (default 2)
  --first-token-ms N --token-interval-ms N --tokens N   the scripted model (50 / 20 / 60)
  --gap-ms N               pause between a chat's answer and its next message (default 250)
  --log-level L            the platform's LOG_LEVEL (default info, as in production)
  --elu-limit X            generator saturation threshold (default 0.9)
  --max-lateness-ms N      generator send lateness p99 reported as a noisy-machine warning (default 10)
 --quiet-wait-seconds N   before each run, wait up to N s for other processes to use < 0.5 core (default 60; quick 0)
  --nice N                 run servers and generator at this nice value (e.g. -10 on a shared machine; root)
  --profile                CPU-profile the platform during the REST phase and the headline step (bench/results/profiles/)
  --out FILE               results file (default bench/results/latest.json)`;

function positiveInteger(flag: string, value: string | undefined): number {
  const parsed = Number(value);
  if (value === undefined || !Number.isInteger(parsed) || parsed < 0) throw new Error(`${flag} needs a non-negative integer`);
  return parsed;
}

type Env = Readonly<Record<string, string | undefined>>;

/** A server URL on 127.0.0.1/localhost only: the bench never reaches beyond this machine. */
function localUrl(flag: string, value: string, ...protocols: string[]): void {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new Error(`${flag} needs a URL (got ${JSON.stringify(value)})`);
  }
  if (!protocols.includes(parsed.protocol)) throw new Error(`${flag} needs a ${protocols[0]}// URL`);
  if (parsed.hostname !== '127.0.0.1' && parsed.hostname !== 'localhost') throw new Error(`${flag} must point at 127.0.0.1 (the bench stays on this machine)`);
}

export function parseOptions(argv: readonly string[], env: Env = process.env): BenchOptions {
  const quick = argv.includes('--quick');
  const options: BenchOptions = {
    quick,
    rounds: quick ? 1 : 3,
    targets: ['platform', 'baseline'],
    steps: quick ? [20, 100] : [20, 100, 200, 500],
    headlineStep: quick ? 100 : 200,
    idleConnections: quick ? 200 : 1000,
    memorySessions: quick ? 1000 : 5000,
    stepSeconds: quick ? 3 : 10,
    warmupSeconds: quick ? 1 : 3,
    gapMs: 250,
    restSeconds: quick ? 2 : 5,
    restConnections: 32,
    handshakeConcurrency: 50,
    workers: Math.max(1, Math.min(2, availableParallelism())),
    model: { ...DEFAULT_MODEL },
    eluLimit: 0.9,
    maxLatenessMs: 10,
    nice: 0,
    quietWaitSeconds: quick ? 0 : 60,
    platformLogLevel: 'info',
    profile: false,
    out: 'bench/results/latest.json',
    cluster: {
      nodes: 3,
      postgresUrl: env.TEST_DATABASE_URL || env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test',
      redisUrl: null,
    },
  };
  let addCluster = false;
  let headlineGiven = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i] as string;
    const value = argv[i + 1];
    const take = () => {
      i++;
      return value;
    };
    switch (flag) {
      case '--quick': break;
      case '--profile': options.profile = true; break;
      case '--rounds': options.rounds = Math.max(1, positiveInteger(flag, take())); break;
      case '--targets': {
        const targets = String(take() ?? '').split(',').filter(Boolean);
        for (const target of targets) if (!TARGET_NAMES.includes(target as TargetName)) throw new Error(`unknown target ${target}`);
        if (targets.length === 0) throw new Error('--targets needs platform, baseline and/or cluster');
        options.targets = targets as TargetName[];
        break;
      }
      case '--steps': {
        options.steps = String(take() ?? '').split(',').map((s) => positiveInteger(flag, s)).filter((n) => n > 0);
        if (options.steps.length === 0) throw new Error('--steps needs at least one positive number');
        break;
      }
      case '--headline-step': options.headlineStep = positiveInteger(flag, take()); headlineGiven = true; break;
      case '--idle': options.idleConnections = positiveInteger(flag, take()); break;
      case '--memory-sessions': options.memorySessions = positiveInteger(flag, take()); break;
      case '--step-seconds': options.stepSeconds = Math.max(1, positiveInteger(flag, take())); break;
      case '--warmup-seconds': options.warmupSeconds = positiveInteger(flag, take()); break;
      case '--rest-seconds': options.restSeconds = positiveInteger(flag, take()); break;
      case '--rest-connections': options.restConnections = Math.max(1, positiveInteger(flag, take())); break;
      case '--handshake-concurrency': options.handshakeConcurrency = Math.max(1, positiveInteger(flag, take())); break;
      case '--workers': options.workers = Math.max(1, positiveInteger(flag, take())); break;
      case '--first-token-ms': options.model.firstTokenMs = positiveInteger(flag, take()); break;
      case '--token-interval-ms': options.model.tokenIntervalMs = positiveInteger(flag, take()); break;
      case '--tokens': options.model.tokens = Math.max(1, positiveInteger(flag, take())); break;
      case '--gap-ms': options.gapMs = positiveInteger(flag, take()); break;
      case '--log-level': options.platformLogLevel = String(take()); break;
      case '--elu-limit': options.eluLimit = Number(take()); break;
      case '--quiet-wait-seconds': options.quietWaitSeconds = positiveInteger(flag, take()); break;
      case '--max-lateness-ms': options.maxLatenessMs = positiveInteger(flag, take()); break;
      case '--nice': {
        options.nice = Number(take());
        if (!Number.isInteger(options.nice) || options.nice < -20 || options.nice > 19) throw new Error('--nice needs an integer from -20 to 19');
        break;
      }
      case '--out': options.out = String(take()); break;
      case '--cluster': addCluster = true; break;
      case '--cluster-nodes': options.cluster.nodes = Math.max(1, positiveInteger(flag, take())); break;
      case '--postgres-url': options.cluster.postgresUrl = String(take()); break;
      case '--redis-url': options.cluster.redisUrl = String(take()); break;
      case '--help': case '-h': throw new Error(USAGE);
      default: throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  if (addCluster && !options.targets.includes('cluster')) options.targets = [...options.targets, 'cluster'];
  options.targets = [...new Set(options.targets)];
  if (options.targets.includes('cluster')) {
    localUrl('--postgres-url', options.cluster.postgresUrl, 'postgres:', 'postgresql:');
    if (options.cluster.redisUrl !== null) localUrl('--redis-url', options.cluster.redisUrl, 'redis:');
  }
  if (options.profile) {
    // One platform run with only what the profiled step needs.
    options.rounds = 1;
    options.targets = ['platform'];
    options.steps = [options.headlineStep];
    options.memorySessions = 0;
    if (options.out === 'bench/results/latest.json') options.out = 'bench/results/profile.json';
  }
  if (!headlineGiven && !options.steps.includes(options.headlineStep)) {
    // The headline is the step closest to 200 that was actually run.
    options.headlineStep = [...options.steps].sort((a, b) => Math.abs(a - 200) - Math.abs(b - 200))[0] as number;
  }
  return options;
}
