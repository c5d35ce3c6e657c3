/**
 * Runs prepareDocument (parse, normalise, hash, chunk) in worker threads, so one tenant's
 * multi-megabyte upload does not stall the event loop that serves every tenant (it did for ~1 s).
 * Workers start on the first job, are reused, and end with close(); jobs beyond the workers wait
 * in a bounded queue, and past it an upload is refused 503 `service_unavailable` with Retry-After.
 *
 * The worker runs the sibling module with this module's own extension: prepare-document-worker.js
 * next to the compiled dist/ files, prepare-document-worker.ts in development and tests, where the
 * worker registers tsx itself to load TypeScript (see startWorkerThread).
 */
import { Worker } from 'node:worker_threads';
import { AppError } from '../base/errors.ts';
import type { ChunkOptions } from './chunk-document.ts';
import type { PreparerJob, PreparerReply } from './document-preparer-messages.ts';
import type { DocumentSource } from './parse-document.ts';
import type { PreparedDocument } from './prepare-document.ts';

export interface DocumentPreparer {
  prepare(source: DocumentSource, chunking?: ChunkOptions): Promise<PreparedDocument>;
  close(): Promise<void>;
}

export interface DocumentPreparerPoolOptions {
  /** Worker threads. @default 1 */
  size?: number;
  /** Jobs waiting for a worker before uploads are refused. @default 32 */
  maxQueued?: number;
}

interface PendingJob {
  job: PreparerJob;
  resolve(prepared: PreparedDocument): void;
  reject(error: unknown): void;
}

interface PoolWorker {
  worker: Worker;
  running: PendingJob | null;
}

const WORKER_EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const WORKER_URL = new URL(`./prepare-document-worker${WORKER_EXTENSION}`, import.meta.url);


/** The parent's node flags minus those about its main script (`-e`, `-p`, `--input-type`), which make a worker fail. */
function workerExecArgv(): string[] {
  const kept: string[] = [];
  const flags = process.execArgv;
  for (let index = 0; index < flags.length; index += 1) {
    const flag = flags[index]!;
    if (['-e', '--eval', '-p', '--print', '--input-type'].includes(flag)) {
      index += 1;
      continue;
    }
    if (/^--(eval|print|input-type)=/.test(flag)) continue;
    kept.push(flag);
  }
  return kept;
}

/**
 * A compiled worker starts from its file. A TypeScript one (development, tests) starts from a
 * one-line script that registers tsx in the worker and then imports it: on Node 20 a worker does
 * not get the parent's `--import tsx` hooks, whatever its execArgv.
 */
function startWorkerThread(): Worker {
  if (WORKER_EXTENSION === '.js') return new Worker(WORKER_URL, { execArgv: workerExecArgv() });
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then(({ register }) => { register(); return import(${JSON.stringify(WORKER_URL.href)}); });`;
  return new Worker(bootstrap, { eval: true });
}

function toError(reply: Extract<PreparerReply, { ok: false }>): Error {
  if ('appError' in reply) {
    const { code, message, detail } = reply.appError;
    return new AppError(code, message, detail ? { detail } : {});
  }
  return new AppError('internal_error', `Document preparation failed: ${reply.message}`);
}

export function createDocumentPreparerPool(options: DocumentPreparerPoolOptions = {}): DocumentPreparer {
  const size = Math.max(1, options.size ?? 1);
  const maxQueued = Math.max(0, options.maxQueued ?? 32);
  const workers: PoolWorker[] = [];
  const queue: PendingJob[] = [];
  let nextId = 1;
  let closed = false;

  function startWorker(): PoolWorker {
    const entry: PoolWorker = { worker: startWorkerThread(), running: null };
    // An idle worker must not keep a process alive that forgot close().
    entry.worker.unref();
    entry.worker.on('message', (reply: PreparerReply) => {
      const pending = entry.running;
      if (!pending || pending.job.id !== reply.id) return;
      entry.running = null;
      entry.worker.unref();
      if (reply.ok) pending.resolve(reply.prepared);
      else pending.reject(toError(reply));
      dispatch();
    });
    const fail = (error: unknown) => {
      const index = workers.indexOf(entry);
      if (index >= 0) workers.splice(index, 1);
      const pending = entry.running;
      entry.running = null;
      pending?.reject(closed ? new AppError('server_shutting_down') : new AppError('internal_error', 'The document could not be prepared', { cause: error }));
      // A crashed worker is replaced by the next job.
      if (!closed) dispatch();
    };
    entry.worker.on('error', fail);
    entry.worker.on('exit', (code) => fail(new Error(`ingestion worker exited with code ${code}`)));
    workers.push(entry);
    return entry;
  }

  function dispatch(): void {
    while (queue.length > 0) {
      let idle = workers.find((candidate) => candidate.running === null);
      if (!idle && workers.length < size) idle = startWorker();
      if (!idle) return;
      const pending = queue.shift()!;
      idle.running = pending;
      idle.worker.ref();
      idle.worker.postMessage(pending.job);
    }
  }

  return {
    prepare(source, chunking) {
      if (closed) return Promise.reject(new AppError('server_shutting_down'));
      const busy = workers.filter((candidate) => candidate.running !== null).length;
      if (busy >= size && queue.length >= maxQueued) {
        return Promise.reject(new AppError('service_unavailable', 'Too many documents are being imported; try again shortly', { retryAfter: 1 }));
      }
      return new Promise<PreparedDocument>((resolve, reject) => {
        queue.push({ job: { id: nextId++, source, ...(chunking ? { chunking } : {}) }, resolve, reject });
        dispatch();
      });
    },
    async close() {
      closed = true;
      for (const pending of queue.splice(0)) pending.reject(new AppError('server_shutting_down'));
      await Promise.all(workers.splice(0).map((entry) => entry.worker.terminate()));
    },
  };
}
