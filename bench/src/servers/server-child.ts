/**
 * The child-process side shared by both servers under test: announce readiness over IPC, answer
 * the orchestrator's `gc` and `shutdown` requests, and never outlive the orchestrator.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { emitRpcEvent, processTransport, serveRpc, type RpcHandler } from '../ipc/rpc.ts';
import { DEFAULT_MODEL, type ScriptedModelOptions } from '../model/scripted-model.ts';

export interface StartedServer {
  url: string;
  tenantId: string;
  /** HS256 secret the load generator signs visitor tokens with (the baseline ignores tokens). */
  jwtSecret: string;
  close(): Promise<void>;
}

export interface ServerReady {
  url: string;
  tenantId: string;
  jwtSecret: string;
  pid: number;
}

/** The server's own event loop over a phase: busy share and how late callbacks ran. */
export interface LoopStats {
  /** Event-loop utilisation (busy wall time share, including time blocked in synchronous I/O). */
  elu: number;
  delayP50Ms: number;
  delayP99Ms: number;
  delayMaxMs: number;
}

export interface MemorySnapshot {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/** Reads the scripted model the orchestrator chose (env `BENCH_MODEL`, JSON). */
export function modelFromEnv(): ScriptedModelOptions {
  const raw = process.env.BENCH_MODEL;
  if (!raw) return DEFAULT_MODEL;
  const parsed = JSON.parse(raw) as Partial<ScriptedModelOptions>;
  return { ...DEFAULT_MODEL, ...parsed };
}

/**
 * Runs `start`, reports `ready`, and serves the orchestrator until told to shut down.
 * `extraHandlers` adds operations of one kind of server (the cluster's process list).
 */
export async function runServerChild(start: () => Promise<StartedServer>, extraHandlers: Record<string, RpcHandler> = {}): Promise<void> {
  const transport = processTransport();
  let server: StartedServer | null = null;
  let closing: Promise<void> | null = null;
  let profiler: Session | null = null;
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  let loopMark = performance.eventLoopUtilization();
  const shutdown = (): Promise<void> => {
    closing ??= (async () => {
      const hardStop = setTimeout(() => process.exit(1), 10_000);
      hardStop.unref();
      try {
        await server?.close();
      } finally {
        clearTimeout(hardStop);
      }
    })();
    return closing;
  };
  // An orchestrator that died (or was killed) must not leave a server running.
  process.on('disconnect', () => void shutdown().finally(() => process.exit(0)));

  serveRpc(transport, {
    ...extraHandlers,
    gc: (): MemorySnapshot => {
      const collect = (globalThis as { gc?: () => void }).gc;
      if (!collect) throw new Error('start the server with --expose-gc');
      collect();
      collect();
      const usage = process.memoryUsage();
      return { rss: usage.rss, heapUsed: usage.heapUsed, heapTotal: usage.heapTotal, external: usage.external, arrayBuffers: usage.arrayBuffers };
    },
    loopReset: () => {
      loopDelay.reset();
      loopMark = performance.eventLoopUtilization();
      return { ok: true };
    },
    loopStats: (): LoopStats => ({
      elu: performance.eventLoopUtilization(loopMark).utilization,
      delayP50Ms: loopDelay.percentile(50) / 1e6,
      delayP99Ms: loopDelay.percentile(99) / 1e6,
      delayMaxMs: loopDelay.max / 1e6,
    }),
    // The V8 sampling profiler that `node --cpu-prof` uses, started and stopped around one step
    // so the profile shows the load and not start-up.
    profileStart: async () => {
      profiler ??= new Session();
      profiler.connect();
      await profiler.post('Profiler.enable');
      await profiler.post('Profiler.start');
      return { ok: true };
    },
    profileStop: async (args: { file: string }) => {
      if (!profiler) throw new Error('profiler not started');
      const { profile } = await profiler.post('Profiler.stop');
      writeFileSync(args.file, JSON.stringify(profile));
      profiler.disconnect();
      profiler = null;
      return { file: args.file };
    },
    shutdown: async () => {
      await shutdown();
      // Exit after the reply is flushed; a normal exit is what writes a --cpu-prof profile.
      setTimeout(() => process.exit(0), 50);
      return { ok: true };
    },
  });

  try {
    server = await start();
  } catch (error) {
    console.error('server failed to start:', error);
    process.exit(1);
  }
  emitRpcEvent(transport, 'ready', {
    url: server.url,
    tenantId: server.tenantId,
    jwtSecret: server.jwtSecret,
    pid: process.pid,
  } satisfies ServerReady);
}
