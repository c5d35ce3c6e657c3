/**
 * Adds or replaces one document of a tenant: parse → normalise → hash → upsert the row →
 * chunk and index. Importing the same content again (same external id, same hash) changes
 * nothing and indexes nothing, which makes seeding and re-crawling cheap and idempotent.
 */
import { createHash } from 'node:crypto';
import { AppError } from '../base/errors.ts';
import type { DocumentRecord } from '../store/store.ts';
import { chunkDocument, type ChunkOptions } from './chunk-document.ts';
import type { KnowledgeDeps } from './knowledge-deps.ts';
import { parseDocumentSource, type DocumentSource } from './parse-document.ts';
import type { ParsedDocument } from './parsed-document.ts';

/**
 * Bumped when parsing or chunking changes what a document turns into, so a re-import after an
 * upgrade re-indexes even though the source did not change.
 */
const PIPELINE_VERSION = 'knowledge-pipeline-1';

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

/** SHA-256 of everything that ends up in the index for a document. */
export function documentHash(parsed: ParsedDocument): string {
  return createHash('sha256')
    .update(`${PIPELINE_VERSION}\n${parsed.title}\n${parsed.url ?? ''}\n${parsed.text}`)
    .digest('hex');
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

/** Indexes an already parsed document (the crawler parses pages itself to read their links). */
export async function ingestParsedDocument(
  deps: KnowledgeDeps,
  tenantId: string,
  parsed: ParsedDocument,
  externalId: string | null,
  options: IngestOptions = {},
): Promise<IngestResult> {
  if (!parsed.text.trim()) {
    throw new AppError('validation_error', 'The document has no text to index', {
      detail: [{ loc: ['body', 'content'], msg: 'no text found in the document', type: 'value_error' }],
    });
  }
  const contentHash = documentHash(parsed);
  // Chunk first: the row records the chunk count, and a document that cannot be chunked is not stored.
  const provisional = toChunkInputs('pending', parsed.title, parsed.text, options.chunking);
  const { document, changed } = await deps.store.documents.upsert(tenantId, {
    externalId,
    title: parsed.title,
    url: parsed.url,
    sourceType: parsed.sourceType,
    contentHash,
    chunkCount: provisional.length,
    content: parsed.text,
  });
  if (changed || options.force) {
    await deps.knowledge.indexDocument(tenantId, {
      documentId: document.id,
      title: document.title,
      url: document.url,
      chunks: provisional.map((chunk) => ({ ...chunk, id: `${document.id}:${chunk.position}` })),
    });
  }
  return { document, changed, parsed };
}

/** Parses and indexes one document for `tenantId`. */
export async function ingestDocument(
  deps: KnowledgeDeps,
  tenantId: string,
  input: IngestDocumentInput,
  options: IngestOptions = {},
): Promise<IngestResult> {
  const parsed = await parseDocumentSource(input);
  return ingestParsedDocument(deps, tenantId, parsed, input.externalId ?? null, options);
}
