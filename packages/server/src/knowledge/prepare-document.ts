/**
 * The CPU-heavy half of ingestion, everything before the database writes: parse the source,
 * normalise it, hash it and cut it into chunks. Pure (no store, no I/O), so it runs the same on
 * the main thread and in the ingestion worker (prepare-document-worker.ts).
 */
import { createHash } from 'node:crypto';
import { AppError } from '../base/errors.ts';
import { chunkDocument, type ChunkOptions } from './chunk-document.ts';
import { parseDocumentSource, type DocumentSource } from './parse-document.ts';
import type { ParsedDocument } from './parsed-document.ts';

/**
 * Bumped when parsing or chunking changes what a document turns into, so a re-import after an
 * upgrade re-indexes even though the source did not change.
 */
const PIPELINE_VERSION = 'knowledge-pipeline-1';

/** One chunk before it has a document id (ids are `<documentId>:<position>`). */
export interface PreparedChunk {
  heading: string | null;
  text: string;
  position: number;
}

export interface PreparedDocument {
  parsed: ParsedDocument;
  contentHash: string;
  chunks: PreparedChunk[];
}

/** SHA-256 of everything that ends up in the index for a document. */
export function documentHash(parsed: ParsedDocument): string {
  return createHash('sha256')
    .update(`${PIPELINE_VERSION}\n${parsed.title}\n${parsed.url ?? ''}\n${parsed.text}`)
    .digest('hex');
}

/** Hashes and chunks an already parsed document; refuses one without text. */
export function prepareParsedDocument(parsed: ParsedDocument, chunking?: ChunkOptions): PreparedDocument {
  if (!parsed.text.trim()) {
    throw new AppError('validation_error', 'The document has no text to index', {
      detail: [{ loc: ['body', 'content'], msg: 'no text found in the document', type: 'value_error' }],
    });
  }
  const chunks = chunkDocument(parsed.text, parsed.title, chunking).map((chunk) => ({
    heading: chunk.heading,
    text: chunk.text,
    position: chunk.position,
  }));
  return { parsed, contentHash: documentHash(parsed), chunks };
}

/** Parses, normalises, hashes and chunks one document source. */
export async function prepareDocument(source: DocumentSource, chunking?: ChunkOptions): Promise<PreparedDocument> {
  return prepareParsedDocument(await parseDocumentSource(source), chunking);
}
