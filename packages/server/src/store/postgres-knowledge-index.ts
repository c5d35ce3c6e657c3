/**
 * Full-text retrieval on PostgreSQL: the weighted tsvector column (title A, heading B, text D)
 * ranked with ts_rank_cd. Every term goes in as a bound parameter through plainto_tsquery, which
 * reads it as plain text, so query syntax in a question has no effect; the terms are OR-ed.
 */
import { sql } from 'kysely';
import type { Passage } from './knowledge-index.ts';
import { ChunkTableKnowledgeIndex, type ChunkHit } from './chunk-table-knowledge-index.ts';

/** ts_rank_cd weights for the D, C, B, A labels: body, (unused), heading, title. */
const RANK_WEIGHTS = '{0.34, 0.34, 0.67, 1.0}';

export class PostgresKnowledgeIndex extends ChunkTableKnowledgeIndex {
  protected async searchTerms(tenantId: string, terms: string[], limit: number): Promise<Passage[]> {
    const query = sql.join(
      terms.map((term) => sql`plainto_tsquery('english', ${term})`),
      sql` || `,
    );
    const { rows } = await sql<ChunkHit>`
      select c.document_id, c.chunk_id, c.title, c.url, c.heading, c.text,
             ts_rank_cd(${RANK_WEIGHTS}::float4[], c.search, q.query)::float8 as rank
      from knowledge_chunks c, (select ${query} as query) q
      where c.tenant_id = ${tenantId} and c.search @@ q.query
      order by rank desc, c.seq
      limit ${limit}`.execute(this.db);
    return rows.map((row) => this.toPassage(row, row.rank));
  }
}
