/**
 * The part of a KnowledgeIndex that is the same on both dialects: chunks live in the
 * `knowledge_chunks` table, and each dialect's search structure follows that table by itself
 * (FTS5 triggers on SQLite, a generated tsvector column on PostgreSQL). Subclasses only search.
 */
import type { Kysely } from 'kysely';
import type { ChunkInput, KnowledgeIndex, Passage } from './knowledge-index.ts';
import { questionKeywords } from '../text/text-terms.ts';
import type { StoreDatabase } from './database-schema.ts';

/** Rows per INSERT: well below SQLite's bound-parameter limit and PostgreSQL's 65535. */
const INSERT_BATCH = 200;
/** Terms beyond this add cost, not relevance (a pasted paragraph is not a better question). */
const MAX_QUERY_TERMS = 24;
const DEFAULT_LIMIT = 5;
const MAX_LIMIT = 50;

/** A matching chunk as both dialects' search queries return it, with the dialect's raw rank. */
export interface ChunkHit {
  document_id: string;
  chunk_id: string;
  title: string;
  url: string | null;
  heading: string | null;
  text: string;
  rank: number;
}

export abstract class ChunkTableKnowledgeIndex implements KnowledgeIndex {
  constructor(protected readonly db: Kysely<StoreDatabase>) {}

  async search(tenantId: string, query: string, options: { limit?: number } = {}): Promise<Passage[]> {
    const terms = typeof query === 'string' ? questionKeywords(query).slice(0, MAX_QUERY_TERMS) : [];
    if (terms.length === 0) return [];
    const requested = options.limit ?? DEFAULT_LIMIT;
    const limit = Number.isInteger(requested) ? Math.min(Math.max(requested, 1), MAX_LIMIT) : DEFAULT_LIMIT;
    return this.searchTerms(tenantId, terms, limit);
  }

  /**
   * Finds the chunks of `tenantId` matching any of `terms` (plain words from user text, already
   * stop-word filtered), best first. Implementations must treat every term as a literal word.
   */
  protected abstract searchTerms(tenantId: string, terms: string[], limit: number): Promise<Passage[]>;

  protected toPassage(hit: ChunkHit, score: number): Passage {
    return {
      documentId: hit.document_id,
      chunkId: hit.chunk_id,
      title: hit.title,
      url: hit.url,
      heading: hit.heading,
      text: hit.text,
      score,
    };
  }

  async indexDocument(
    tenantId: string,
    document: { documentId: string; title: string; url: string | null; chunks: ChunkInput[] },
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .deleteFrom('knowledge_chunks')
        .where('tenant_id', '=', tenantId)
        .where('document_id', '=', document.documentId)
        .execute();
      const rows = document.chunks.map((chunk) => ({
        tenant_id: tenantId,
        document_id: document.documentId,
        chunk_id: chunk.id,
        position: chunk.position,
        title: document.title,
        url: document.url,
        heading: chunk.heading,
        text: chunk.text,
      }));
      for (let start = 0; start < rows.length; start += INSERT_BATCH) {
        // A synchronous driver (SQLite) would hold the event loop for the whole document: let
        // timers and sockets run between batches. Readers still see the old or the new chunks,
        // never a mix: the transaction holds SQLite's one connection, and PostgreSQL isolates it.
        if (start > 0) await new Promise((resolve) => setImmediate(resolve));
        await trx.insertInto('knowledge_chunks').values(rows.slice(start, start + INSERT_BATCH)).execute();
      }
    });
  }

  async removeDocument(tenantId: string, documentId: string): Promise<void> {
    await this.db
      .deleteFrom('knowledge_chunks')
      .where('tenant_id', '=', tenantId)
      .where('document_id', '=', documentId)
      .execute();
  }
}
