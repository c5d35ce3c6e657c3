/**
 * Migration 0002 on SQLite: an FTS5 index over `knowledge_chunks` (external content, so the text
 * is stored once), kept in step by triggers. The porter stemmer lets "embedding" find "embed".
 * Columns in the order the bm25() weights in sqlite-knowledge-index.ts expect: title, heading, text.
 */
import { sql, type Kysely, type Migration } from 'kysely';

export const sqliteSearchMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`
      create virtual table knowledge_chunks_fts using fts5(
        title, heading, text,
        content = 'knowledge_chunks', content_rowid = 'seq',
        tokenize = 'porter unicode61 remove_diacritics 2'
      )`.execute(db);
    await sql`
      create trigger knowledge_chunks_fts_insert after insert on knowledge_chunks begin
        insert into knowledge_chunks_fts (rowid, title, heading, text)
        values (new.seq, new.title, new.heading, new.text);
      end`.execute(db);
    await sql`
      create trigger knowledge_chunks_fts_delete after delete on knowledge_chunks begin
        insert into knowledge_chunks_fts (knowledge_chunks_fts, rowid, title, heading, text)
        values ('delete', old.seq, old.title, old.heading, old.text);
      end`.execute(db);
    await sql`
      create trigger knowledge_chunks_fts_update after update on knowledge_chunks begin
        insert into knowledge_chunks_fts (knowledge_chunks_fts, rowid, title, heading, text)
        values ('delete', old.seq, old.title, old.heading, old.text);
        insert into knowledge_chunks_fts (rowid, title, heading, text)
        values (new.seq, new.title, new.heading, new.text);
      end`.execute(db);
  },
  async down(db: Kysely<unknown>) {
    for (const trigger of ['knowledge_chunks_fts_insert', 'knowledge_chunks_fts_delete', 'knowledge_chunks_fts_update']) {
      await sql`drop trigger if exists ${sql.ref(trigger)}`.execute(db);
    }
    await sql`drop table if exists knowledge_chunks_fts`.execute(db);
  },
};
