/**
 * The load generator's process entry: starts the worker threads, fans each phase out to them and
 * merges what they measured into summaries for the orchestrator.
 */
import { Worker } from 'node:worker_threads';
import { processTransport, RpcClient, serveRpc } from '../ipc/rpc.ts';
import { Samples } from '../stats/samples.ts';
import type {
  ConnectArgs, CreateChatsArgs, GeneratorInit, PhaseSummary, RestArgs, StepArgs, StepSummary, WorkerInit,
  WorkerSamplesResult, WorkerStepResult,
} from './load-messages.ts';

const workers: Array<{ worker: Worker; rpc: RpcClient }> = [];

/** Long enough for any phase; phases bound themselves, this only catches a hung worker. */
const WORKER_CALL_TIMEOUT_MS = 10 * 60_000;

function mergeCounts(counts: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const count of counts) {
    for (const [key, value] of Object.entries(count)) merged[key] = (merged[key] ?? 0) + value;
  }
  return merged;
}

function all<T>(op: string, args: unknown): Promise<T[]> {
  return Promise.all(workers.map(({ rpc }) => rpc.call<T>(op, args, WORKER_CALL_TIMEOUT_MS)));
}

function summarisePhase(results: WorkerSamplesResult[]): PhaseSummary {
  const samples = new Samples();
  for (const result of results) samples.merge(Samples.from(result.samples));
  const wallMs = Math.max(0, ...results.map((r) => r.wallMs));
  return {
    latency: samples.summary(),
    count: samples.count,
    errors: mergeCounts(results.map((r) => r.errors)),
    wallMs,
    rate: wallMs > 0 ? (samples.count * 1000) / wallMs : 0,
    workerLoad: results.map((r) => r.load),
  };
}

async function start(init: GeneratorInit): Promise<{ workers: number }> {
  if (workers.length > 0) throw new Error('generator already started');
  for (let workerIndex = 0; workerIndex < init.workers; workerIndex++) {
    const worker = new Worker(new URL('./load-worker-bootstrap.mjs', import.meta.url), {
      workerData: { ...init, workerIndex } satisfies WorkerInit,
    });
    const rpc = new RpcClient({ post: (m) => worker.postMessage(m), onMessage: (l) => void worker.on('message', l) }, `load-worker ${workerIndex}`);
    worker.on('error', (error) => rpc.close(`worker crashed: ${error.stack ?? error.message}`));
    worker.on('exit', (code) => rpc.close(`worker exited with code ${code}`));
    workers.push({ worker, rpc });
  }
  return { workers: workers.length };
}

async function stop(): Promise<{ ok: true }> {
  await Promise.allSettled(workers.map(({ rpc }) => rpc.call('shutdown', {}, 30_000)));
  await Promise.allSettled(workers.map(({ worker }) => worker.terminate()));
  workers.length = 0;
  return { ok: true };
}

serveRpc(processTransport(), {
  start,
  createChats: async (args: CreateChatsArgs) => summarisePhase(await all<WorkerSamplesResult>('createChats', args)),
  connect: async (args: ConnectArgs) => summarisePhase(await all<WorkerSamplesResult>('connect', args)),
  rest: async (args: RestArgs) => summarisePhase(await all<WorkerSamplesResult>('rest', args)),
  closeGroup: async (args: { group: string }) => {
    const results = await all<{ closed: number }>('closeGroup', args);
    return { closed: results.reduce((sum, r) => sum + r.closed, 0) };
  },
  step: async (args: StepArgs): Promise<StepSummary> => {
    const results = await all<WorkerStepResult>('step', args);
    const ttfc = new Samples();
    const interChunk = new Samples();
    for (const result of results) {
      ttfc.merge(Samples.from(result.ttfc));
      interChunk.merge(Samples.from(result.interChunk));
    }
    const framesInWindow = results.reduce((sum, r) => sum + r.framesInWindow, 0);
    return {
      chats: args.chats,
      ttfc: ttfc.summary(),
      interChunk: interChunk.summary(),
      sent: results.reduce((sum, r) => sum + r.sent, 0),
      completed: results.reduce((sum, r) => sum + r.completed, 0),
      malformed: results.reduce((sum, r) => sum + r.malformed, 0),
      framesPerSecond: (framesInWindow * 1000) / args.durationMs,
      frameTypes: mergeCounts(results.map((r) => r.frameTypes)),
      errors: mergeCounts(results.map((r) => r.errors)),
      workerLoad: results.map((r) => r.load),
    };
  },
  shutdown: async () => {
    await stop();
    setTimeout(() => process.exit(0), 50);
    return { ok: true };
  },
});

// The orchestrator went away: stop the workers and exit instead of lingering.
process.on('disconnect', () => {
  void stop().finally(() => process.exit(0));
});
