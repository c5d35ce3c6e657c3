import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openSqliteDialect } from '../../src/store/sqlite-store-dialect.ts';
import { prepareQuery } from '../../src/store/prepared-query.ts';

test('a prepared query binds each call its own values, keeps the builder constants and reuses one SQL text', async () => {
  const dialect = openSqliteDialect(':memory:');
  const db = dialect.db as never as import('kysely').Kysely<{ t: { id: string; a: string | null; b: string; c: number } }>;
  try {
    await db.schema.createTable('t').addColumn('id', 'text', (c) => c.primaryKey()).addColumn('a', 'text').addColumn('b', 'text').addColumn('c', 'integer').execute();
    const built: string[] = [];
    const insert = prepareQuery(db, (p: { id: string; a: string | null; c: number }) => {
      const query = db.insertInto('t').values({ id: p.id, a: p.a, b: 'constant', c: p.c }).returningAll();
      built.push(query.compile().sql);
      return query;
    });
    const select = prepareQuery(db, (p: { x: string }) => db.selectFrom('t').select('id').where('id', '=', p.x).where('b', '=', 'constant').where('a', '=', p.x));
    assert.deepEqual((await insert.execute({ id: 'one', a: 'one', c: 1 })).rows, [{ id: 'one', a: 'one', b: 'constant', c: 1 }]);
    assert.deepEqual((await insert.execute({ id: 'two', a: null, c: 2 })).rows, [{ id: 'two', a: null, b: 'constant', c: 2 }]);
    assert.equal(built.length, 1, 'the builder runs once');
    // One value used twice in a statement.
    assert.deepEqual((await select.execute({ x: 'one' })).rows, [{ id: 'one' }]);
    assert.deepEqual((await select.execute({ x: 'two' })).rows, [], 'a is NULL for two');
  } finally {
    await dialect.close();
  }
});

test('a builder that derives a value from its inputs is refused instead of freezing it', async () => {
  const dialect = openSqliteDialect(':memory:');
  const db = dialect.db as never as import('kysely').Kysely<{ t: { id: string; n: number } }>;
  try {
    const stringified = prepareQuery(db, (p: { v: string }) => db.selectFrom('t').select('id').where('id', '=', JSON.stringify(p.v)));
    await assert.rejects(() => stringified.execute({ v: 'x' }), /derives a value/);
    const floored = prepareQuery(db, (p: { n: number }) => db.selectFrom('t').select('id').limit(Math.floor(p.n)));
    await assert.rejects(() => floored.execute({ n: 3 }), /derives a value/);
  } finally {
    await dialect.close();
  }
});
