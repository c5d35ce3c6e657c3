/**
 * The two waits of the PostgreSQL pool are told apart: a statement that finds every pooled
 * connection busy queues until one is free (load, not an outage), while a connection attempt to a
 * server that does not answer fails with a database-unavailable error (db_not_ready) after the
 * short connect bound, not after the long queue bound.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { sql } from 'kysely';
import { openPostgresDialect } from '../../src/store/postgres-store-dialect.ts';
import { databaseUnavailableError } from '../../src/store/database-unavailable.ts';
import { dropSchema, testPostgres, uniqueSchemaName } from '@miptech/testing/test-databases.ts';

const { url, skip } = testPostgres();
const databaseUrl = url ?? '';

test('a statement waits for a busy pooled connection longer than the connect bound instead of failing', { skip }, async (t) => {
  const schema = uniqueSchemaName();
  // One connection, a connect bound far below the time it stays busy, a long queue bound.
  const dialect = await openPostgresDialect({ connectionString: databaseUrl, schema, poolSize: 1, connectTimeoutMs: 100, acquireTimeoutMs: 20_000 });
  t.after(async () => {
    await dialect.close();
    await dropSchema(databaseUrl, schema);
  });
  const busy = sql<{ slept: string }>`select pg_sleep(0.6)::text as slept`.execute(dialect.db);
  // Queued behind it: with one bound for both waits (pg-pool's connectionTimeoutMillis) this
  // rejected with "timeout exceeded when trying to connect" after 100 ms.
  const queued = sql<{ one: number }>`select 1 as one`.execute(dialect.db);
  const [slept, one] = await Promise.all([busy, queued]);
  assert.equal(slept.rows.length, 1);
  assert.equal(one.rows[0]?.one, 1);
  // The readiness ping gets a connection too once the pool is free.
  await dialect.ping();
});

test('a server that accepts TCP but never answers fails the connection with db_not_ready after the connect bound', async (t) => {
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  t.after(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });
  const address = silent.address();
  assert.ok(address && typeof address === 'object');
  // The queue bound (60 s) is longer than the test runner would wait: only the connect bound can end it.
  const opening = openPostgresDialect({
    connectionString: `postgres://nobody@127.0.0.1:${address.port}/none`,
    connectTimeoutMs: 200,
    acquireTimeoutMs: 60_000,
  });
  await assert.rejects(opening, (error: unknown) => {
    assert.equal(databaseUnavailableError(error)?.code, 'db_not_ready', String(error));
    return true;
  });
});
