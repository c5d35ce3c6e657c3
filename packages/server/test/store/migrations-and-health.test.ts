import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import { openStoreDialect } from '../../src/store/open-store-dialect.ts';
import { openStore } from '../../src/store/open-store.ts';
import { migrateToLatest, storeMigrations } from '../../src/store/store-migrations.ts';
import { startPostgresRelay, startRelay } from './tcp-relay.ts';
import { dropSchema, testDatabaseTargets, uniqueSchemaName, type TestDatabase } from '@miptech/testing/test-databases.ts';

for (const target of testDatabaseTargets()) {
  describe(`migrations and health (${target.dialect})`, { skip: target.skip }, () => {
    let database: TestDatabase;
    before(async () => {
      database = await target.create();
    });
    after(() => database?.dispose());

    it('reports schema_unavailable until migrated, then ready', async () => {
      const { store: unmigrated } = await database.open({ migrate: false });
      assert.equal(unmigrated.dialect, target.dialect);
      assert.deepEqual(
        { ...(await unmigrated.health()), detail: undefined },
        { ready: false, code: 'schema_unavailable', detail: undefined },
      );
      const { store } = await database.open();
      assert.deepEqual(await store.health(), { ready: true });
      assert.deepEqual(await unmigrated.health(), { ready: true }, 'readiness follows the database, not the opening');
    });

    it('applies migrations once: a second run and a reopen change nothing', async () => {
      const dialect = await openStoreDialect({
        databaseUrl: database.databaseUrl,
        ...(database.schema === undefined ? {} : { schema: database.schema }),
      });
      try {
        assert.deepEqual(await migrateToLatest(dialect), [], 'already migrated by the previous test');
        assert.deepEqual(await migrateToLatest(dialect), []);
        const { rows } = await sql<{ name: string }>`select name from schema_migrations order by name`.execute(dialect.db);
        assert.deepEqual(rows.map((row) => row.name), Object.keys(storeMigrations(dialect)).sort());
      } finally {
        await dialect.close();
      }
      const { store } = await database.open();
      await store.tenants.create({ id: 'after-reopen' });
      const { store: again } = await database.open();
      assert.equal((await again.tenants.get('after-reopen'))?.id, 'after-reopen', 'reopening kept the data');
    });

    it('reports db_not_ready once closed', async () => {
      const { store } = await database.open();
      await store.close();
      await store.close();
      assert.equal((await store.health()).code, 'db_not_ready');
    });
  });
}

describe('SQLite file handling', () => {
  it('creates parent directories and uses WAL with foreign keys on', async (t) => {
    const [target] = testDatabaseTargets();
    assert.equal(target?.dialect, 'sqlite');
    const database = await target.create();
    t.after(() => database.dispose());
    const path = database.databaseUrl.slice('sqlite:'.length);
    await database.open();
    assert.ok(existsSync(path));
    const dialect = await openStoreDialect({ databaseUrl: `file:${path}` });
    try {
      const pragma = async (name: string) => (await sql.raw<Record<string, unknown>>(`pragma ${name}`).execute(dialect.db)).rows[0];
      assert.deepEqual(await pragma('journal_mode'), { journal_mode: 'wal' });
      assert.deepEqual(await pragma('foreign_keys'), { foreign_keys: 1 });
      assert.deepEqual(await pragma('synchronous'), { synchronous: 1 });
      assert.ok(Number((await pragma('busy_timeout'))?.timeout) > 0);
    } finally {
      await dialect.close();
    }
  });

  it('opens an in-memory database', async () => {
    const { store } = await openStore({ databaseUrl: 'sqlite::memory:' });
    try {
      assert.deepEqual(await store.health(), { ready: true });
    } finally {
      await store.close();
    }
  });
});

const [, postgres] = testDatabaseTargets();
describe('PostgreSQL outage', { skip: postgres?.skip }, () => {
  const databaseUrl = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

  it('applies the schema (search_path), statement timeout and pool size to every connection', async (t) => {
    const schema = uniqueSchemaName();
    const dialect = await openStoreDialect({ databaseUrl, schema, statementTimeoutMs: 150, poolSize: 3 });
    t.after(async () => {
      await dialect.close();
      await dropSchema(databaseUrl, schema);
    });
    await migrateToLatest(dialect);
    const tables = await sql<{ table_name: string }>`
      select table_name from information_schema.tables where table_schema = ${schema} order by table_name`.execute(dialect.db);
    assert.deepEqual(
      tables.rows.map((row) => row.table_name),
      ['chats', 'documents', 'knowledge_chunks', 'messages', 'schema_migrations', 'schema_migrations_lock', 'tenants', 'token_revocations', 'token_usage'],
    );
    // Several connections at once, each with the settings (a setting on one session would not do).
    const settings = await Promise.all(
      Array.from({ length: 3 }, () =>
        sql<{ timeout: string; path: string }>`select current_setting('statement_timeout') as timeout, current_schema() as path, pg_sleep(0.05)`.execute(
          dialect.db,
        ),
      ),
    );
    for (const { rows } of settings) assert.deepEqual({ ...rows[0], pg_sleep: undefined }, { timeout: '150ms', path: schema, pg_sleep: undefined });
    await assert.rejects(sql`select pg_sleep(2)`.execute(dialect.db), /statement timeout/);
    await assert.rejects(openStoreDialect({ databaseUrl, schema: 'Bad-Schema; drop' }), /Invalid PostgreSQL schema name/);
  });

  it('fails to open with db_not_ready when the server cannot be reached', async () => {
    const relay = await startRelay('127.0.0.1', 9);
    relay.setUp(false);
    const url = new URL(databaseUrl);
    url.hostname = '127.0.0.1';
    url.port = String(relay.port);
    try {
      await assert.rejects(openStore({ databaseUrl: url.toString(), schema: uniqueSchemaName() }), { code: 'db_not_ready' });
    } finally {
      await relay.close();
    }
  });

  it('reports db_not_ready while the database is lost and recovers without a restart', async (t) => {
    const relay = await startPostgresRelay(databaseUrl);
    const schema = uniqueSchemaName();
    const { store } = await openStore({ databaseUrl: relay.url, schema, poolSize: 2, statementTimeoutMs: 5000 });
    t.after(async () => {
      await store.close();
      await relay.close();
      await dropSchema(databaseUrl, schema);
    });
    await store.tenants.create({ id: 'outage' });
    assert.deepEqual(await store.health(), { ready: true });

    relay.setUp(false);
    assert.equal((await store.health()).code, 'db_not_ready');
    await assert.rejects(store.tenants.get('outage'));
    assert.equal((await store.health()).code, 'db_not_ready');

    relay.setUp(true);
    assert.deepEqual(await store.health(), { ready: true });
    assert.equal((await store.tenants.get('outage'))?.id, 'outage');
  });
});
