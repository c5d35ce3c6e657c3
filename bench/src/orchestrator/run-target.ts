/**
 * One run of one server under test: start it in its own process, start the load generator in
 * another, drive the phases (visitor handshakes, memory per idle session, REST creation rate,
 * open-loop streaming steps) while reading both processes' CPU and memory from /proc, then tear
 * everything down — also when a phase fails.
 *
 * The cluster target's "server" process is a manager (servers/cluster-main.ts) that starts the
 * nodes, nginx and Redis; its CPU is the sum over those processes and the PostgreSQL backends of
 * its database. It has no memory phase (no single heap to collect) and no event-loop figures.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { BenchOptions, TargetName } from '../options.ts';
import type { GeneratorInit, PhaseSummary, StepSummary } from '../load/load-messages.ts';
import { idealAnswerMs } from '../model/scripted-model.ts';
import type { LoopStats, MemorySnapshot, ServerReady } from '../servers/server-child.ts';
import { startNodeChild, stopNodeChild, type NodeChild } from './node-child.ts';
import { groupCpuBetween, readGroupUsage, type GroupMember, type GroupReading, type ProcessRole } from './process-group.ts';
import { cpuBetween, machineCoresBetween, readMachineCpu, readProcessUsage } from './process-usage.ts';
import type { ClusterTargetEnv } from '../servers/cluster-main.ts';

export interface MemoryResult {
  sessions: number;
  connected: number;
  /** Sessions joined between the two readings. */
  measured: number;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** RSS delta per idle joined session, bytes. */
  perConnectionBytes: number;
  /** V8 heap (used) delta per session, bytes: the part the server's own objects take. */
  heapPerConnectionBytes: number;
  errors: Record<string, number>;
}

export interface StepRun extends StepSummary {
  serverCpuMs: number;
  serverCores: number;
  cpuMsPerAnswer: number;
  generatorCores: number;
  /** CPU taken by every other process on the machine during the step, in cores. */
  otherCores: number;
  /** The server's event loop during the step (NaN for the cluster: several loops). */
  serverLoop: LoopStats;
  /** Cluster target: cores per kind of process (node, nginx, redis, postgres). */
  serverCoresByRole?: Partial<Record<ProcessRole, number>>;
}

export interface TargetRun {
  target: TargetName;
  round: number;
  ok: boolean;
  error?: string;
  chatCreation?: PhaseSummary;
  handshake?: PhaseSummary;
  memory?: MemoryResult;
  rest?: PhaseSummary & { serverCores: number; machineCores: number; serverCoresByRole?: Partial<Record<ProcessRole, number>> };
  /** Cluster target: how many platform nodes ran. */
  nodes?: number;
  steps: StepRun[];
  /** CPU profiles taken (`--profile`). */
  profileFiles: Array<{ phase: string; file: string }>;
  /** Signs of a noisy machine that do not invalidate the run (e.g. sends that left late). */
  warnings: string[];
  /** Why the generator's own measurements cannot be trusted (empty when valid). */
  saturation: string[];
}

const BENCH_ROOT = new URL('..', import.meta.url).pathname;
const SERVER_ENTRY: Record<TargetName, string> = {
  platform: join(BENCH_ROOT, 'servers/platform-main.ts'),
  baseline: join(BENCH_ROOT, 'servers/baseline-main.ts'),
  cluster: join(BENCH_ROOT, 'servers/cluster-main.ts'),
};
const NO_LOOP_STATS: LoopStats = { elu: Number.NaN, delayP50Ms: Number.NaN, delayP99Ms: Number.NaN, delayMaxMs: Number.NaN };
const GENERATOR_ENTRY = join(BENCH_ROOT, 'load/generator-main.ts');
const QUESTIONS = [
  'How do I embed the widget?',
  'Which close codes should not reconnect?',
  'How do I create a chat over REST?',
  'What does join_chat need?',
  'How are answers streamed?',
];

/** Streams per step → chats: enough chats that `streams` answers are in flight on average. */
export function chatsForStreams(streams: number, options: BenchOptions): number {
  const answerMs = idealAnswerMs(options.model);
  return Math.max(1, Math.round((streams * (answerMs + options.gapMs)) / answerMs));
}

/**
 * nginx connections the cluster target needs: every client socket is proxied over a second one,
 * plus the upstream keep-alive pool and headroom. Never below the harness default.
 */
export function nginxWorkerConnections(options: BenchOptions): number {
  const maxChats = Math.max(0, ...options.steps.map((s) => chatsForStreams(s, options)));
  const clients = options.idleConnections + maxChats + options.restConnections + options.handshakeConcurrency;
  return Math.max(4096, 2 * clients + 512);
}

export function fdsNeeded(options: BenchOptions): number {
  const maxChats = Math.max(0, ...options.steps.map((s) => chatsForStreams(s, options)));
  return options.idleConnections + maxChats + options.memorySessions + options.restConnections + 64 * options.workers + 512;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** "node 80 %, nginx 20 %, …" */
function rolesText(coresByRole: Partial<Record<ProcessRole, number>>): string {
  return Object.entries(coresByRole).map(([role, cores]) => `${role} ${((cores ?? 0) * 100).toFixed(0)} %`).join(', ');
}

function eluText(loads: ReadonlyArray<{ elu: number }>): string {
  return loads.map((l) => l.elu.toFixed(2)).join('/');
}

function checkSaturation(phase: string, loads: ReadonlyArray<{ elu: number }>, limit: number, into: string[]): void {
  loads.forEach((load, worker) => {
    if (load.elu > limit) into.push(`${phase}: generator thread ${worker} at ${(load.elu * 100).toFixed(0)} % event-loop utilisation`);
  });
}

async function stopProfile(server: NodeChild, context: RunContext, name: string): Promise<string> {
  const file = join(context.cwd, 'bench/results/profiles', `${name}-${Date.now()}.cpuprofile`);
  mkdirSync(dirname(file), { recursive: true });
  await server.rpc.call('profileStop', { file }, 60_000);
  return file;
}

/** Waits (bounded) until other processes use less than `cores` of CPU over a one-second window. */
async function waitForQuietMachine(maxWaitMs: number, cores: number, log: (line: string) => void): Promise<void> {
  if (maxWaitMs <= 0) return;
  const deadline = performance.now() + maxWaitMs;
  let busy = Number.NaN;
  for (let i = 0; i < 1000 && performance.now() < deadline; i++) {
    const before = readMachineCpu();
    await sleep(1000);
    busy = machineCoresBetween(before, readMachineCpu());
    if (busy < cores) return;
  }
  log(`  the machine stayed busy (${(busy * 100).toFixed(0)} % CPU used by other processes); measuring anyway`);
}

export interface RunContext {
  options: BenchOptions;
  round: number;
  fdLimit: number;
  logDir: string;
  cwd: string;
  log(line: string): void;
}

export async function runTarget(target: TargetName, context: RunContext): Promise<TargetRun> {
  const { options, log } = context;
  const run: TargetRun = { target, round: context.round, ok: false, steps: [], saturation: [], warnings: [], profileFiles: [] };
  const dataDir = mkdtempSync(join(tmpdir(), `miptech-bench-${target}-`));
  const jwtSecret = randomBytes(48).toString('base64url');
  const children: NodeChild[] = [];
  const timeout = (ms: number) => ms + 60_000;
  const isCluster = target === 'cluster';
  try {
    await waitForQuietMachine(options.quietWaitSeconds * 1000, 0.5, log);
    const server = startNodeChild({
      label: `${target} server`,
      entry: SERVER_ENTRY[target],
      nodeFlags: ['--expose-gc'],
      env: {
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: '0',
        DATA_DIR: dataDir,
        JWT_SECRET: jwtSecret,
        LOG_LEVEL: options.platformLogLevel,
        BENCH_MODEL: JSON.stringify(options.model),
        // Every visitor of the bench comes from this one address: no per-address socket limit.
        WS_MAX_CONNECTIONS_PER_ADDRESS: '1000000',
        WS_MAX_CONNECTIONS: '1000000',
        ...(isCluster ? {
          BENCH_CLUSTER: JSON.stringify({
            nodes: options.cluster.nodes,
            postgresUrl: options.cluster.postgresUrl,
            ...(options.cluster.redisUrl ? { redisUrl: options.cluster.redisUrl } : {}),
            logLevel: options.platformLogLevel,
            nginxWorkerConnections: nginxWorkerConnections(options),
            // Kept next to the other logs: errors under load are explained by the nodes' warnings.
            nodeLogs: { dir: context.logDir, prefix: `cluster-round${context.round}-` },
          } satisfies ClusterTargetEnv),
        } : {}),
      },
      fdLimit: context.fdLimit,
      nice: options.nice,
      logFile: join(context.logDir, `${target}-round${context.round}.log`),
      cwd: context.cwd,
    });
    children.push(server);
    const ready = await Promise.race([
      server.rpc.waitForEvent<ServerReady>('ready', 120_000),
      server.exited.then(({ code }) => {
        throw new Error(`${target} server exited during start-up (code ${code}):\n${server.logTail()}`);
      }),
    ]);
    log(`  ${target} listening on ${ready.url} (pid ${ready.pid})`);
    if (isCluster) run.nodes = options.cluster.nodes;
    // The processes whose CPU is the server's: one, or the whole cluster (asked each time: a
    // PostgreSQL pool may have opened or closed backends meanwhile).
    const serverUsage = async (): Promise<GroupReading> => {
      const members = isCluster
        ? await server.rpc.call<GroupMember[]>('processes', {}, 10_000)
        : [{ role: 'server' as const, pid: server.pid }];
      return readGroupUsage(members);
    };

    const generator = startNodeChild({
      label: 'load generator',
      entry: GENERATOR_ENTRY,
      fdLimit: context.fdLimit,
      nice: options.nice,
      logFile: join(context.logDir, `generator-${target}-round${context.round}.log`),
      cwd: context.cwd,
    });
    children.push(generator);
    const init: GeneratorInit = {
      url: ready.url,
      tenantId: ready.tenantId,
      jwtSecret: ready.jwtSecret,
      runId: `r${context.round}-${randomBytes(3).toString('hex')}`,
      workers: options.workers,
      restPoolPerWorker: Math.max(1, Math.ceil(options.handshakeConcurrency / options.workers)),
    };
    await generator.rpc.call('start', init, 30_000);
    const call = <T>(op: string, args: unknown, ms: number) => generator.rpc.call<T>(op, args, timeout(ms));

    // 1. The idle visitors: REST chat creation, then the WebSocket handshakes we time.
    run.chatCreation = await call<PhaseSummary>('createChats', { group: 'idle', count: options.idleConnections }, 120_000);
    run.handshake = await call<PhaseSummary>('connect', { group: 'idle', concurrency: options.handshakeConcurrency, timeoutMs: 15_000 }, 120_000);
    checkSaturation('handshakes', run.handshake.workerLoad, options.eluLimit, run.saturation);
    log(`  ${target}: ${run.handshake.count} idle visitors joined, ${run.handshake.rate.toFixed(0)} handshakes/s ` +
      `(generator ELU ${eluText(run.handshake.workerLoad)}, errors ${JSON.stringify(run.handshake.errors)})`);

    // 2. Memory per idle joined session: the RSS slope after a full GC, between 20 % and 100 % of
    // the sessions joined. The first 20 % absorb heap pages left free by earlier phases, which
    // would otherwise hide part of the cost.
    if (options.memorySessions > 0 && !isCluster) {
      const created = await call<PhaseSummary>('createChats', { group: 'memory', count: options.memorySessions }, 300_000);
      const connectArgs = { group: 'memory', concurrency: options.handshakeConcurrency, timeoutMs: 15_000 };
      const first = await call<PhaseSummary>('connect', { ...connectArgs, limit: Math.floor(options.memorySessions / 5) }, 300_000);
      await sleep(500);
      const before = await server.rpc.call<MemorySnapshot>('gc', {}, 30_000);
      const rest = await call<PhaseSummary>('connect', connectArgs, 300_000);
      await sleep(1000);
      const after = await server.rpc.call<MemorySnapshot>('gc', {}, 30_000);
      run.memory = {
        sessions: options.memorySessions,
        connected: first.count + rest.count,
        measured: rest.count,
        rssBeforeBytes: before.rss,
        rssAfterBytes: after.rss,
        perConnectionBytes: rest.count > 0 ? (after.rss - before.rss) / rest.count : Number.NaN,
        heapPerConnectionBytes: rest.count > 0 ? (after.heapUsed - before.heapUsed) / rest.count : Number.NaN,
        errors: { ...created.errors, ...first.errors, ...rest.errors },
      };
      log(`  ${target}: ${(run.memory.perConnectionBytes / 1024).toFixed(1)} KB RSS per idle session (${run.memory.connected} sessions, slope over the last ${run.memory.measured})`);
      await call('closeGroup', { group: 'memory' }, 60_000);
      await sleep(1000);
    }

    // 3. POST /api/v1/chat in a closed loop (the platform's real route vs the bare Fastify route).
    if (options.restSeconds > 0) {
      const before = await serverUsage();
      const machineBefore = readMachineCpu();
      if (options.profile) await server.rpc.call('profileStart', {}, 30_000);
      const rest = await call<PhaseSummary>('rest', { durationMs: options.restSeconds * 1000, connections: options.restConnections }, options.restSeconds * 1000);
      if (options.profile) run.profileFiles.push({ phase: 'POST /api/v1/chat', file: await stopProfile(server, context, `${target}-rest`) });
      const serverCpu = groupCpuBetween(before, await serverUsage());
      const serverCores = serverCpu.cores;
      run.rest = { ...rest, serverCores, machineCores: machineCoresBetween(machineBefore, readMachineCpu()) };
      if (isCluster) run.rest.serverCoresByRole = serverCpu.coresByRole;
      checkSaturation('REST', rest.workerLoad, options.eluLimit, run.saturation);
      log(`  ${target}: POST /api/v1/chat ${rest.rate.toFixed(0)} requests/s, server ${(run.rest.serverCores * 100).toFixed(0)} % CPU ` +
        (isCluster ? `[${rolesText(serverCpu.coresByRole)}] ` : '') +
        `(machine ${(run.rest.machineCores * 100).toFixed(0)} %, generator ELU ${eluText(rest.workerLoad)}, errors ${JSON.stringify(rest.errors)})`);
    }

    // 4. Open-loop streaming steps on top of the idle connections.
    const maxChats = Math.max(...options.steps.map((s) => chatsForStreams(s, options)));
    await call('createChats', { group: 'active', count: maxChats }, 120_000);
    const activeJoin = await call<PhaseSummary>('connect', { group: 'active', concurrency: options.handshakeConcurrency, timeoutMs: 15_000 }, 120_000);
    if (activeJoin.count < maxChats) throw new Error(`only ${activeJoin.count}/${maxChats} streaming visitors joined: ${JSON.stringify(activeJoin.errors)}`);
    const answerMs = idealAnswerMs(options.model);
    const stepArgs = (chats: number, seconds: number) => ({
      group: 'active',
      chats,
      periodMs: answerMs + options.gapMs,
      durationMs: seconds * 1000,
      startAt: performance.timeOrigin + performance.now() + 300,
      drainMs: 2 * answerMs + 5000,
      expectedChunks: options.model.tokens,
      questions: QUESTIONS,
    });
    // Warm-up (not recorded): JIT, SQLite page cache and pools reach steady state before measuring.
    if (options.warmupSeconds > 0) {
      await call('step', stepArgs(chatsForStreams(options.steps[0] ?? 20, options), options.warmupSeconds), options.warmupSeconds * 1000 + 2 * answerMs + 10_000);
      await sleep(300);
    }
    for (const streams of options.steps) {
      const chats = chatsForStreams(streams, options);
      const serverBefore = await serverUsage();
      const generatorBefore = readProcessUsage(generator.pid);
      const machineBefore = readMachineCpu();
      const profiling = options.profile && streams === options.headlineStep;
      if (profiling) await server.rpc.call('profileStart', {}, 30_000);
      const summary = await call<StepSummary>('step', stepArgs(chats, options.stepSeconds), options.stepSeconds * 1000 + 2 * answerMs + 10_000);
      if (profiling) run.profileFiles.push({ phase: `${streams} streams`, file: await stopProfile(server, context, `${target}-${streams}-streams`) });
      const serverCpu = groupCpuBetween(serverBefore, await serverUsage());
      const serverLoop = isCluster ? NO_LOOP_STATS : await server.rpc.call<LoopStats>('loopStats', {}, 10_000);
      const generatorCpu = cpuBetween(generatorBefore, readProcessUsage(generator.pid));
      const machineCores = machineCoresBetween(machineBefore, readMachineCpu());
      const otherCores = Math.max(0, machineCores - serverCpu.cores - generatorCpu.cores);
      const step: StepRun = {
        ...summary,
        chats: streams,
        serverCpuMs: serverCpu.cpuMs,
        serverCores: serverCpu.cores,
        cpuMsPerAnswer: summary.completed > 0 ? serverCpu.cpuMs / summary.completed : Number.NaN,
        generatorCores: generatorCpu.cores,
        otherCores,
        serverLoop,
        ...(isCluster ? { serverCoresByRole: serverCpu.coresByRole } : {}),
      };
      run.steps.push(step);
      checkSaturation(`${streams} streams`, summary.workerLoad, options.eluLimit, run.saturation);
      const lateness = Math.max(0, ...summary.workerLoad.map((l) => l.dispatchLatenessP99 ?? 0));
      if (lateness > options.maxLatenessMs) {
        run.warnings.push(`${streams} streams: the generator sent ${lateness.toFixed(1)} ms late at p99 ` +
          `(its CPU ${(generatorCpu.cores * 100).toFixed(0)} %, other processes ${(otherCores * 100).toFixed(0)} %)`);
      }
      log(`  ${target} ${streams} streams (${chats} chats): ttfc p50 ${summary.ttfc.p50.toFixed(1)} ms p99 ${summary.ttfc.p99.toFixed(1)} ms, ` +
        `${summary.completed}/${summary.sent} answers, ${summary.framesPerSecond.toFixed(0)} frames/s, server ${(serverCpu.cores * 100).toFixed(0)} % CPU ` +
        (isCluster
          ? `(${rolesText(serverCpu.coresByRole)}), `
          : `(ELU ${serverLoop.elu.toFixed(2)}, loop delay p99 ${serverLoop.delayP99Ms.toFixed(0)} ms, max ${serverLoop.delayMaxMs.toFixed(0)} ms), `) +
        `generator ${(generatorCpu.cores * 100).toFixed(0)} % CPU (ELU ${eluText(summary.workerLoad)}), other processes ${(otherCores * 100).toFixed(0)} % CPU` +
        (Object.keys(summary.errors).length > 0 ? `, errors ${JSON.stringify(summary.errors)}` : '') +
        (summary.completed < summary.sent ? `, frames received ${JSON.stringify(summary.frameTypes)}` : ''));
      await sleep(500);
    }
    run.ok = true;
  } catch (error) {
    run.error = error instanceof Error ? error.message : String(error);
    log(`  ${target} round ${context.round} FAILED: ${run.error}`);
    for (const child of children) {
      const tail = child.logTail(15);
      if (tail) log(`  --- ${child.label} log (${child.logFile}) ---\n${tail}`);
    }
  } finally {
    // Generator first (its sockets close cleanly), then the server (a graceful exit writes --cpu-prof).
    for (const child of [...children].reverse()) await stopNodeChild(child, 20_000);
    rmSync(dataDir, { recursive: true, force: true });
  }
  return run;
}
