/**
 * Full-text retrieval on SQLite: FTS5 ranked by BM25, with a match in the title weighing more
 * than one in a heading, and that more than one in the body.
 */
import { sql } from 'kysely';
import type { Passage } from '../knowledge/knowledge-index.ts';
import { ChunkTableKnowledgeIndex, type ChunkHit } from './chunk-table-knowledge-index.ts';

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
  protected async searchTerms(tenantId: string, terms: string[], limit: number): Promise<Passage[]> {
    const match = terms.map(quoteTerm).join(' OR ');
    const { rows } = await sql<ChunkHit>`
      select c.document_id, c.chunk_id, c.title, c.url, c.heading, c.text,
             bm25(knowledge_chunks_fts, ${sql.lit(TITLE_WEIGHT)}, ${sql.lit(HEADING_WEIGHT)}, ${sql.lit(TEXT_WEIGHT)}) as rank
      from knowledge_chunks_fts f
      join knowledge_chunks c on c.seq = f.rowid
      where knowledge_chunks_fts match ${match} and c.tenant_id = ${tenantId}
      order by rank, c.seq
      limit ${limit}`.execute(this.db);
    // bm25() is lower-is-better and negative; the seam wants higher-is-better.
    return rows.map((row) => this.toPassage(row, -row.rank));
  }
}
