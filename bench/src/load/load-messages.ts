/**
 * What the orchestrator, the generator process and its worker threads send each other.
 * Workers return raw samples; the generator merges them and returns summaries.
 */
import type { SampleSummary } from '../stats/samples.ts';

export interface GeneratorInit {
  url: string;
  tenantId: string;
  jwtSecret: string;
  /** Distinguishes session ids between runs against the same database. */
  runId: string;
  workers: number;
  /** Keep-alive connections per worker for the visitor flow's REST calls. */
  restPoolPerWorker: number;
}

export interface WorkerInit extends GeneratorInit {
  workerIndex: number;
}

/** Visitors are numbered globally; visitor `i` lives on worker `i % workers`. */
export interface CreateChatsArgs {
  group: string;
  count: number;
}

export interface ConnectArgs {
  group: string;
  /** Handshakes in flight at once, over all workers. */
  concurrency: number;
  timeoutMs: number;
  /** Connect at most this many of the group's not yet connected visitors (over all workers). */
  limit?: number;
}

export interface RestArgs {
  durationMs: number;
  /** Keep-alive connections in a closed loop, over all workers. */
  connections: number;
  /** `platform`: the visitor's chat creation with a JWT; the bare route gets the same request. */
}

export interface StepArgs {
  group: string;
  chats: number;
  periodMs: number;
  durationMs: number;
  /** Absolute time (performance.timeOrigin + now) of the first scheduled send. */
  startAt: number;
  drainMs: number;
  expectedChunks: number;
  questions: string[];
}

/** Per-thread load of the generator: the event-loop utilisation decides saturation. */
export interface WorkerLoad {
  elu: number;
  /** Time a send left after its scheduled time (open-loop dispatch), p99 and max in ms. */
  dispatchLatenessP99?: number;
  dispatchLatenessMax?: number;
}

export interface WorkerSamplesResult {
  samples: number[];
  errors: Record<string, number>;
  wallMs: number;
  load: WorkerLoad;
}

export interface WorkerStepResult {
  ttfc: number[];
  interChunk: number[];
  sent: number;
  completed: number;
  malformed: number;
  framesInWindow: number;
  frameTypes: Record<string, number>;
  errors: Record<string, number>;
  load: WorkerLoad;
}

export interface PhaseSummary {
  latency: SampleSummary;
  count: number;
  errors: Record<string, number>;
  wallMs: number;
  /** count per second of wall time. */
  rate: number;
  workerLoad: WorkerLoad[];
}

export interface StepSummary {
  chats: number;
  ttfc: SampleSummary;
  interChunk: SampleSummary;
  sent: number;
  completed: number;
  malformed: number;
  framesPerSecond: number;
  frameTypes: Record<string, number>;
  errors: Record<string, number>;
  workerLoad: WorkerLoad[];
}
