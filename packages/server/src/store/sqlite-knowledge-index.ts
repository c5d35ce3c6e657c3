/**
 * Full-text retrieval on SQLite: FTS5 ranked by BM25, with a match in the title weighing more
 * than one in a heading, and that more than one in the body.
 */
import { sql } from 'kysely';
import type { ChunkInput, Passage } from './knowledge-index.ts';
import { ChunkTableKnowledgeIndex, type ChunkHit } from './chunk-table-knowledge-index.ts';
import { prepareQuery } from './prepared-query.ts';

/**
 * Index pages an index change may rewrite to merge the FTS5 segments (4 KiB each: 4 MiB). A small
 * knowledge base (the common case) ends up in one segment; a large one gets this much merging
 * work per document, so an upload never blocks the event loop for a full rewrite of the index.
 */
const MERGE_PAGES = 1000;

/** bm25() column weights, in the FTS table's column order: title, heading, text. */
const TITLE_WEIGHT = 3;
const HEADING_WEIGHT = 2;
const TEXT_WEIGHT = 1;

/**
 * Quotes one term as an FTS5 string, so whatever it contains (`NEAR`, `OR`, `*`, `:`, `^`, `-`,
 * parentheses) is a word to match and never query syntax. A `"` inside is doubled, as FTS5 wants.
 */
function quoteTerm(term: string): string {
  return `"${term.replaceAll('"', '""')}"`;
}

export class SqliteKnowledgeIndex extends ChunkTableKnowledgeIndex {
  override async indexDocument(
    tenantId: string,
    document: { documentId: string; title: string; url: string | null; chunks: ChunkInput[] },
  ): Promise<void> {
    await super.indexDocument(tenantId, document);
    await this.mergeSegments();
  }

  override async removeDocument(tenantId: string, documentId: string): Promise<void> {
    await super.removeDocument(tenantId, documentId);
    await this.mergeSegments();
  }

  /**
   * Every index change adds a segment (a b-tree) to the FTS5 index, and FTS5 merges them only
   * once four pile up on one level: a knowledge base loaded document by document ends with many,
   * and every search reads each term's entries from every segment. Merging them after the change
   * halves the time of a search on the seeded knowledge (0.14 → 0.08 ms); a search runs before
   * every answer, on the event loop. A negative page count merges across levels, like 'optimize'
   * but bounded (https://sqlite.org/fts5.html, the 'merge' command).
   * Only while the index is small: past MERGE_PAGES pages every change would rewrite megabytes
   * (≈ 46 ms of blocked event loop per document on a 22 MB index, measured), so a large index is
   * left to FTS5's own merging, where a new segment is a small share of the work anyway.
   */
  private async mergeSegments(): Promise<void> {
    const { rows } = await sql<{ pages: number }>`select count(*) as pages from knowledge_chunks_fts_data`.execute(this.db);
    if ((rows[0]?.pages ?? 0) > MERGE_PAGES) return;
    await sql`insert into knowledge_chunks_fts (knowledge_chunks_fts, rank) values ('merge', ${-MERGE_PAGES})`.execute(this.db);
  }

  /** Compiled once (prepared-query.ts): a search runs before every answer. */
  private readonly searchQuery = prepareQuery(this.db, (p: { match: string; tenantId: string; limit: number }) => {
    // Ranked on (seq, score) alone, then joined for the text of the winners only: ranking with
    // every column carried the text of each of the 40-90 matching chunks through the sort
    // (a quarter of the search's time).
    const query = sql<ChunkHit>`
      select c.document_id, c.chunk_id, c.title, c.url, c.heading, c.text, top.rank
      from (
        select f.rowid as seq,
               bm25(knowledge_chunks_fts, ${sql.lit(TITLE_WEIGHT)}, ${sql.lit(HEADING_WEIGHT)}, ${sql.lit(TEXT_WEIGHT)}) as rank
        from knowledge_chunks_fts f
        join knowledge_chunks k on k.seq = f.rowid
        where knowledge_chunks_fts match ${p.match} and k.tenant_id = ${p.tenantId}
        order by rank, f.rowid
        limit ${p.limit}
      ) top
      join knowledge_chunks c on c.seq = top.seq
      order by top.rank, top.seq`;
    return { compile: () => query.compile(this.db) };
  });

  protected async searchTerms(tenantId: string, terms: string[], limit: number): Promise<Passage[]> {
    const match = terms.map(quoteTerm).join(' OR ');
    const { rows } = await this.searchQuery.execute({ match, tenantId, limit });
    // bm25() is lower-is-better and negative; the seam wants higher-is-better.
    return rows.map((row) => this.toPassage(row, -row.rank));
  }
}
