/**
 * Migration 0002 on PostgreSQL: a generated, weighted tsvector over each chunk (title A,
 * heading B, text D) with a GIN index. The `english` configuration stems like SQLite's porter
 * tokenizer, so both dialects match the same words.
 */
import { sql, type Kysely, type Migration } from 'kysely';

export const postgresSearchMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      alter table knowledge_chunks add column search tsvector generated always as (
        setweight(to_tsvector('english'::regconfig, title), 'A') ||
        setweight(to_tsvector('english'::regconfig, coalesce(heading, '')), 'B') ||
        setweight(to_tsvector('english'::regconfig, text), 'D')
      ) stored`.execute(db);
    await sql`create index knowledge_chunks_search_idx on knowledge_chunks using gin (search)`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    await sql`drop index if exists knowledge_chunks_search_idx`.execute(db);
    await sql`alter table knowledge_chunks drop column if exists search`.execute(db);
  },
};
