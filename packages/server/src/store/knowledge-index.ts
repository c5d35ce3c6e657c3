/**
 * The retrieval seam: SQLite FTS5 (BM25) on the embedded default, PostgreSQL tsvector when scaled.
 * Every call is scoped by tenant, and the query is user text: implementations escape it so search
 * syntax in a question can neither break nor widen the query.
 */
export interface Passage {
  documentId: string;
  chunkId: string;
  title: string;
  url: string | null;
  /** Heading path of the chunk inside its document, e.g. "Embedding > Script tag". */
  heading: string | null;
  text: string;
  /** Higher is better; comparable only within one result list. */
  score: number;
}

export interface ChunkInput {
  id: string;
  heading: string | null;
  text: string;
  position: number;
}

export interface KnowledgeIndex {
  search(tenantId: string, query: string, options?: { limit?: number }): Promise<Passage[]>;
  /** Replaces every indexed chunk of the document. */
  indexDocument(
    tenantId: string,
    document: { documentId: string; title: string; url: string | null; chunks: ChunkInput[] },
  ): Promise<void>;
  removeDocument(tenantId: string, documentId: string): Promise<void>;
}
