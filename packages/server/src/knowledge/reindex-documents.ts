/**
 * Rebuilds a tenant's search index from the document text kept in the store — after a change of
 * chunking, or to repair an index that lost rows. Documents whose text the store does not keep
 * are reported as skipped (re-import or re-crawl them instead).
 */
import type { ChunkOptions } from './chunk-document.ts';
import { toChunkInputs } from './ingest-document.ts';
import type { KnowledgeDeps } from './knowledge-deps.ts';
import { listAllDocuments } from './list-all-documents.ts';

export interface ReindexResult {
  reindexed: number;
  /** Ids of documents that could not be re-indexed because their text is not stored. */
  skipped: string[];
}

export async function reindexDocuments(deps: KnowledgeDeps, tenantId: string, options: { chunking?: ChunkOptions } = {}): Promise<ReindexResult> {
  const documents = deps.store.documents;
  const result: ReindexResult = { reindexed: 0, skipped: [] };
  for (const document of await listAllDocuments(documents, tenantId)) {
    const content = documents.getContent ? await documents.getContent(tenantId, document.id) : null;
    if (content === null || !content.trim()) {
      result.skipped.push(document.id);
      continue;
    }
    await deps.knowledge.indexDocument(tenantId, {
      documentId: document.id,
      title: document.title,
      url: document.url,
      chunks: toChunkInputs(document.id, document.title, content, options.chunking),
    });
    result.reindexed += 1;
  }
  return result;
}
