/**
 * Checkpoints a SQLite WAL database from a worker thread, so the event loop never does it.
 *
 * In WAL mode every commit appends to the -wal file, and by default the committing statement
 * itself copies the WAL back into the database every 1000 pages, with an fsync of both files.
 * On the event loop that is a stall of tens of milliseconds every few hundred writes: measured
 * under load, checkpoints were most of the time statements spent blocked, and they showed up as
 * event-loop delays and time-to-first-chunk outliers. Here a worker thread with its own
 * connection runs a PASSIVE checkpoint (it never waits for, nor blocks, readers and writers) a
 * few times a second; the main connection keeps a far larger automatic checkpoint only as a
 * fallback, for when the worker is gone or cannot keep up.
 *
 * The worker is plain JavaScript (evaluated, no loader), loads the same better-sqlite3 build,
 * and is unref'd: it never keeps the process alive.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export interface WalCheckpointer {
  /** Stops the worker (after a last checkpoint) and waits until its connection is closed. */
  stop(): Promise<void>;
}

/** The main connection checkpoints by itself only once the WAL has this many pages (the worker is meant to do it long before). */
export const FALLBACK_AUTOCHECKPOINT_PAGES = 16_384;
const DEFAULT_INTERVAL_MS = 200;
const STOP_TIMEOUT_MS = 5000;

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driverPath);
const db = new Database(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 0');
db.pragma('synchronous = NORMAL');
const checkpoint = () => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or a transient I/O error: the next tick tries again; the main connection's fallback covers the rest.
  }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.close();
});
`;

/** Starts checkpointing the WAL database at `path` (a file, not `:memory:`). */
export function startWalCheckpointer(path: string, options: { intervalMs?: number } = {}): WalCheckpointer {
  const driverPath = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    // Not the parent's flags (e.g. a TypeScript loader): the source is plain JavaScript.
    execArgv: [],
    workerData: { driverPath, path, intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS },
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
  });
  worker.unref();
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    worker.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  // A worker that fails (e.g. cannot open the file) just ends: the fallback checkpoint remains.
  worker.on('error', () => undefined);
  let stopping: Promise<void> | null = null;
  return {
    stop() {
      stopping ??= (async () => {
        if (exited) return;
        worker.postMessage('stop');
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<'timeout'>((resolve) => {
          timer = setTimeout(() => resolve('timeout'), STOP_TIMEOUT_MS);
        });
        const outcome = await Promise.race([exit, timeout]);
        clearTimeout(timer);
        if (outcome === 'timeout') await worker.terminate();
      })();
      return stopping;
    },
  };
}
