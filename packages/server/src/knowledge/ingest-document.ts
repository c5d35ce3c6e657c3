/**
 * Adds or replaces one document of a tenant: parse → normalise → hash → upsert the row →
 * chunk and index. Importing the same content again (same external id, same hash) changes
 * nothing and indexes nothing, which makes seeding and re-crawling cheap and idempotent.
 * With `deps.preparer` (the platform's worker pool) everything before the database writes runs
 * off the event loop; without it (CLI, scripts) it runs inline.
 */
import type { DocumentRecord } from '../store/store.ts';
import { chunkDocument, type ChunkOptions } from './chunk-document.ts';
import type { KnowledgeDeps } from './knowledge-deps.ts';
import type { DocumentSource } from './parse-document.ts';
import type { ParsedDocument } from './parsed-document.ts';
import { prepareDocument, prepareParsedDocument, type PreparedDocument } from './prepare-document.ts';

export { documentHash } from './prepare-document.ts';

export interface IngestDocumentInput extends DocumentSource {
  /** Stable key for replacing the document later: a URL, a file path, a name. Null always adds. */
  externalId?: string | null;
}

export interface IngestResult {
  document: DocumentRecord;
  /** False when the same content was already indexed (nothing was written). */
  changed: boolean;
  parsed: ParsedDocument;
}

export interface IngestOptions {
  /** Index again even when the content hash is unchanged. @default false */
  force?: boolean;
  chunking?: ChunkOptions;
}

/** Chunks a parsed document into the index's chunk inputs, with ids stable per document and position. */
export function toChunkInputs(documentId: string, title: string, text: string, options?: ChunkOptions) {
  return chunkDocument(text, title, options).map((chunk) => ({
    id: `${documentId}:${chunk.position}`,
    heading: chunk.heading,
    text: chunk.text,
    position: chunk.position,
  }));
}

/** Stores and indexes a prepared document (parsed, hashed and chunked). */
async function storePreparedDocument(
  deps: KnowledgeDeps,
  tenantId: string,
  prepared: PreparedDocument,
  externalId: string | null,
  options: IngestOptions,
): Promise<IngestResult> {
  const { parsed, contentHash, chunks } = prepared;
  // Chunked first: the row records the chunk count, and a document that cannot be chunked is not stored.
  const { document, changed } = await deps.store.documents.upsert(tenantId, {
    externalId,
    title: parsed.title,
    url: parsed.url,
    sourceType: parsed.sourceType,
    contentHash,
    chunkCount: chunks.length,
    content: parsed.text,
  });
  if (changed || options.force) {
    await deps.knowledge.indexDocument(tenantId, {
      documentId: document.id,
      title: document.title,
      url: document.url,
      chunks: chunks.map((chunk) => ({ ...chunk, id: `${document.id}:${chunk.position}` })),
    });
  }
  return { document, changed, parsed };
}

/** Indexes an already parsed document (the crawler parses pages itself to read their links). */
export async function ingestParsedDocument(
  deps: KnowledgeDeps,
  tenantId: string,
  parsed: ParsedDocument,
  externalId: string | null,
  options: IngestOptions = {},
): Promise<IngestResult> {
  return storePreparedDocument(deps, tenantId, prepareParsedDocument(parsed, options.chunking), externalId, options);
}

/** Parses and indexes one document for `tenantId`. */
export async function ingestDocument(
  deps: KnowledgeDeps,
  tenantId: string,
  input: IngestDocumentInput,
  options: IngestOptions = {},
): Promise<IngestResult> {
  const { externalId, ...source } = input;
  const prepared = deps.preparer
    ? await deps.preparer.prepare(source, options.chunking)
    : await prepareDocument(source, options.chunking);
  return storePreparedDocument(deps, tenantId, prepared, externalId ?? null, options);
}
