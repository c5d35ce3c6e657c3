/** The messages between the main thread and the ingestion worker (document-preparer-pool.ts). */
import type { ErrorCode, ValidationDetail } from '@miptech/protocol';
import type { ChunkOptions } from './chunk-document.ts';
import type { DocumentSource } from './parse-document.ts';
import type { PreparedDocument } from './prepare-document.ts';

export interface PreparerJob {
  id: number;
  source: DocumentSource;
  chunking?: ChunkOptions;
}

export type PreparerReply =
  | { id: number; ok: true; prepared: PreparedDocument }
  | { id: number; ok: false; appError: { code: ErrorCode; message: string; detail: ValidationDetail[] | undefined } }
  | { id: number; ok: false; message: string };
