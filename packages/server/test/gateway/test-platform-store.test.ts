/**
 * The dialect table of the platform-level suites: startTestPlatform honours TEST_STORE.
 * PostgreSQL gets a schema of its own per platform, kept across restart() and dropped on close.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { api } from '@miptech/testing/api-client.ts';
import { startTestPlatform, testStore } from '@miptech/testing/test-platform.ts';
import { testPostgres } from '@miptech/testing/test-databases.ts';

const { url: postgresUrl, skip: skipPostgres } = testPostgres();
const databaseUrl = postgresUrl ?? '';

async function schemaExists(schema: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query('select 1 from information_schema.schemata where schema_name = $1', [schema]);
    return result.rowCount === 1;
  } finally {
    await client.end();
  }
}

/** Runs `body` with TEST_STORE set to `value`, restoring it afterwards. */
async function withTestStore(value: string, body: () => Promise<void>): Promise<void> {
  const previous = process.env.TEST_STORE;
  process.env.TEST_STORE = value;
  try {
    await body();
  } finally {
    if (previous === undefined) delete process.env.TEST_STORE;
    else process.env.TEST_STORE = previous;
  }
}

test('TEST_STORE=postgres: a schema per platform, kept by restart() (tokens stay valid), dropped on close', { skip: skipPostgres ?? false }, async () => {
  await withTestStore('postgres', async () => {
    const first = await startTestPlatform();
    const second = await startTestPlatform();
    let current = first;
    try {
      assert.equal(first.platform.services.store.dialect, 'postgres');
      const schema = first.config.databaseSchema;
      assert.ok(schema && (await schemaExists(schema)), 'the schema exists while the platform runs');
      assert.notEqual(second.config.databaseSchema, schema, 'each platform has its own schema');

      const token = await first.mintToken({ sub: 'keeper' });
      const created = await api(first.url, 'POST', '/api/v1/chat', { token, tenantId: first.tenantId, body: { session_id: 'restart-me' } });
      assert.equal(created.status, 201);
      current = await first.restart();
      assert.equal(current.config.databaseSchema, schema, 'restart keeps the schema');
      const again = await api(current.url, 'GET', `/api/v1/chat/${created.body.id}`, { token, tenantId: current.tenantId });
      assert.equal(again.status, 200, 'the chat and the token survive the restart');

      await current.close();
      assert.equal(await schemaExists(schema), false, 'close drops the schema');
    } finally {
      await current.close();
      await second.close();
    }
  });
});

test('TEST_STORE=sqlite (the default) keeps the SQLite file in DATA_DIR; anything else is refused', async () => {
  await withTestStore('sqlite', async () => {
    const tp = await startTestPlatform();
    try {
      assert.equal(tp.platform.services.store.dialect, 'sqlite');
      assert.equal(testStore(), 'sqlite');
    } finally {
      await tp.close();
    }
  });
  await withTestStore('mysql', async () => {
    await assert.rejects(startTestPlatform(), /TEST_STORE must be sqlite or postgres/);
  });
});
