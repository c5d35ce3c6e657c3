/**
 * The ingestion worker thread's entry point (started by document-preparer-pool.ts): prepares one
 * document per message, so a multi-megabyte upload parses here instead of on the event loop that
 * serves every tenant. An AppError (a bad PDF, a document without text) travels back as its code,
 * message and detail, and the pool throws the same AppError again on the main thread.
 */
import { parentPort } from 'node:worker_threads';
import { isAppError } from '../base/errors.ts';
import type { PreparerJob, PreparerReply } from './document-preparer-messages.ts';
import { prepareDocument } from './prepare-document.ts';

const port = parentPort;
if (!port) throw new Error('prepare-document-worker.ts runs as a worker thread only');

port.on('message', (job: PreparerJob) => {
  prepareDocument(job.source, job.chunking).then(
    (prepared) => port.postMessage({ id: job.id, ok: true, prepared } satisfies PreparerReply),
    (error: unknown) => {
      const reply: PreparerReply = isAppError(error)
        ? { id: job.id, ok: false, appError: { code: error.code, message: error.message, detail: error.detail } }
        : { id: job.id, ok: false, message: error instanceof Error ? error.message : String(error) };
      port.postMessage(reply);
    },
  );
});
