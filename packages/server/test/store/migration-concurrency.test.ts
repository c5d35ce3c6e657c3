import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openStoreDialect } from '../../src/store/open-store-dialect.ts';
import { migrateToLatest, schemaIsCurrent } from '../../src/store/store-migrations.ts';
import { dropSchema, testDatabaseTargets, uniqueSchemaName } from '@miptech/testing/test-databases.ts';

const [, postgres] = testDatabaseTargets();

describe('PostgreSQL migrations next to other schemas', { skip: postgres?.skip }, () => {
  const databaseUrl = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

  it('succeed while other schemas of the same database are being dropped', async (t) => {
    const others: string[] = [];
    const fresh = Array.from({ length: 6 }, () => uniqueSchemaName());
    t.after(() => Promise.all([...others, ...fresh].map((schema) => dropSchema(databaseUrl, schema))));
    for (let index = 0; index < 6; index += 1) {
      const schema = uniqueSchemaName();
      others.push(schema);
      const dialect = await openStoreDialect({ databaseUrl, schema });
      await migrateToLatest(dialect);
      await dialect.close();
    }
    // Kysely lists every schema's tables before migrating; the drops race with that listing.
    const outcomes = await Promise.allSettled([
      ...fresh.map(async (schema) => {
        const dialect = await openStoreDialect({ databaseUrl, schema });
        try {
          await migrateToLatest(dialect);
          return await schemaIsCurrent(dialect);
        } finally {
          await dialect.close();
        }
      }),
      ...others.map((schema) => dropSchema(databaseUrl, schema)),
    ]);
    const failures = outcomes.filter((outcome) => outcome.status === 'rejected').map((outcome) => String((outcome as PromiseRejectedResult).reason));
    assert.deepEqual(failures, []);
    assert.deepEqual(outcomes.slice(0, fresh.length).map((outcome) => (outcome as PromiseFulfilledResult<unknown>).value), fresh.map(() => true));
  });
});
