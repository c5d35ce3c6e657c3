import assert from 'node:assert/strict';
import { after, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { cacheStatements, type CachedStatementDatabase } from '../../src/store/cached-statement-database.ts';

interface TestSchema {
  items: { id: number; name: string };
}

describe('cached SQLite statements', () => {
  let raw: Database.Database;
  let cached: CachedStatementDatabase;
  let db: Kysely<TestSchema>;
  const opened: Kysely<TestSchema>[] = [];

  beforeEach(async () => {
    raw = new Database(':memory:');
    cached = cacheStatements(raw, 4);
    db = new Kysely<TestSchema>({ dialect: new SqliteDialect({ database: cached }) });
    opened.push(db);
    await sql`create table items (id integer primary key, name text not null)`.execute(db);
  });
  after(async () => {
    await Promise.all(opened.map((instance) => instance.destroy()));
  });

  it('prepares a SQL text once and binds fresh parameters on every use', async () => {
    const prepared: string[] = [];
    const prepare = raw.prepare.bind(raw);
    raw.prepare = ((text: string) => {
      prepared.push(text);
      return prepare(text);
    }) as typeof raw.prepare;
    for (let id = 1; id <= 3; id += 1) await db.insertInto('items').values({ id, name: `item ${id}` }).execute();
    const names = [];
    for (let id = 1; id <= 3; id += 1) {
      names.push((await db.selectFrom('items').select('name').where('id', '=', id).executeTakeFirst())?.name);
    }
    assert.deepEqual(names, ['item 1', 'item 2', 'item 3']);
    assert.equal(prepared.length, 2, `one insert and one select prepared, got ${JSON.stringify(prepared)}`);
    const none = await db.selectFrom('items').select('name').where('id', '=', 99).executeTakeFirst();
    assert.equal(none, undefined);
  });

  it('keeps reader and writer statements apart: run results and returning rows', async () => {
    const inserted = await db.insertInto('items').values({ id: 7, name: 'seven' }).executeTakeFirst();
    assert.equal(inserted.insertId, 7n);
    const returned = await db.insertInto('items').values({ id: 8, name: 'eight' }).returning(['id', 'name']).executeTakeFirst();
    assert.deepEqual(returned, { id: 8, name: 'eight' });
    const updated = await db.updateTable('items').set({ name: 'changed' }).where('id', '>=', 7).executeTakeFirst();
    assert.equal(updated.numUpdatedRows, 2n);
    const again = await db.updateTable('items').set({ name: 'changed' }).where('id', '>=', 8).executeTakeFirst();
    assert.equal(again.numUpdatedRows, 1n, 'the cached update reports its own change count');
  });

  it('rolls back and commits transactions with the cached begin/commit/rollback statements', async () => {
    for (let attempt = 0; attempt < 2; attempt += 1) {
      await assert.rejects(
        db.transaction().execute(async (trx) => {
          await trx.insertInto('items').values({ id: 100 + attempt, name: 'rolled back' }).execute();
          throw new Error('abort');
        }),
        /abort/,
      );
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('items').values({ id: 200 + attempt, name: 'kept' }).execute();
      });
    }
    const rows = await db.selectFrom('items').select('id').orderBy('id').execute();
    assert.deepEqual(rows.map((row) => row.id), [200, 201]);
  });

  it('drops the least recently used text beyond its capacity', async () => {
    await db.insertInto('items').values([{ id: 1, name: 'a' }, { id: 2, name: 'b' }]).execute();
    for (let limit = 1; limit <= 10; limit += 1) {
      const rows = await db.selectFrom('items').select('id').orderBy('id').limit(sql.lit(limit)).execute();
      assert.equal(rows.length, Math.min(limit, 2));
    }
    assert.equal(cached.cachedStatements, 4);
  });

  it('hands out a fresh statement while the cached one is still being iterated', async () => {
    await db.insertInto('items').values([{ id: 1, name: 'a' }, { id: 2, name: 'b' }, { id: 3, name: 'c' }]).execute();
    const text = 'select id from items order by id';
    const first = cached.prepare(text);
    const iterator = first.iterate([]);
    assert.deepEqual(iterator.next().value, { id: 1 });
    const second = cached.prepare(text);
    assert.notEqual(second, first, 'the busy statement is not handed out again');
    assert.deepEqual(second.all([]), [{ id: 1 }, { id: 2 }, { id: 3 }]);
    assert.deepEqual(iterator.next().value, { id: 2 });
    iterator.return?.();
    assert.equal(cached.prepare(text), first, 'once finished, the cached statement is reused');
  });

  it('sees a column added after the statement was cached', async () => {
    await db.insertInto('items').values({ id: 1, name: 'a' }).execute();
    assert.deepEqual(await db.selectFrom('items').selectAll().execute(), [{ id: 1, name: 'a' }]);
    await sql`alter table items add column note text not null default 'n'`.execute(db);
    assert.deepEqual(await db.selectFrom('items').selectAll().execute(), [{ id: 1, name: 'a', note: 'n' }]);
  });

  it('rejects a capacity that is not a positive integer', () => {
    assert.throws(() => cacheStatements(raw, 0), RangeError);
  });
});
