/**
 * A node whose PostgreSQL is not reachable at start (in Kubernetes or compose the database often
 * comes up after the application): it listens anyway, /healthz says it is alive, /readyz, REST
 * and WebSocket joins answer db_not_ready with a retry delay, and once the database answers (a TCP
 * relay switched on) the node opens and migrates it, creates the default tenant and serves a chat
 * without a restart. A database that refuses for another reason fails the start.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createPlatform } from '../../src/app.ts';
import { loadConfig } from '../../src/base/config.ts';
import { api } from '@miptech/testing/api-client.ts';
import { ALLOWED_TEST_ORIGIN, startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin, connectWs } from '@miptech/testing/ws-test-client.ts';
import { startPostgresRelay } from './tcp-relay.ts';
import { dropSchema, testPostgres, uniqueSchemaName } from '@miptech/testing/test-databases.ts';

const { url, skip } = testPostgres();
const databaseUrl = url ?? '';

/** Resolves with the promise's value, or rejects after `ms` (a bounded wait). */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function startWithDatabaseDown(t: TestContext) {
  const relay = await startPostgresRelay(databaseUrl);
  relay.setUp(false);
  const schema = uniqueSchemaName();
  let tp: TestPlatform | null = null;
  t.after(async () => {
    await tp?.close();
    await relay.close();
    await dropSchema(databaseUrl, schema);
  });
  tp = await startTestPlatform({ database: { databaseUrl: relay.url, schema } });
  return { tp, relay };
}

test('PostgreSQL down at start: the node listens and reports db_not_ready, then serves a chat once the database answers, without a restart', { skip }, async (t) => {
  const { tp, relay } = await startWithDatabaseDown(t);
  let ready = false;
  void tp.platform.ready.then(() => (ready = true), () => undefined);

  const health = await api(tp.url, 'GET', '/healthz');
  assert.equal(health.status, 200, 'liveness does not depend on the database');

  for (const method of ['GET', 'HEAD']) {
    const readiness = await fetch(`${tp.url}/readyz`, { method });
    assert.equal(readiness.status, 503, `${method} /readyz`);
    assert.ok(Number(readiness.headers.get('retry-after')) >= 1, `${method} /readyz: Retry-After`);
    if (method === 'GET') assert.equal(((await readiness.json()) as { code?: string }).code, 'db_not_ready');
  }

  const token = await tp.mintToken({ sub: 'early-visitor' });
  const headers = { token, tenantId: tp.tenantId, origin: ALLOWED_TEST_ORIGIN };
  const early = await api(tp.url, 'POST', '/api/v1/chat', { ...headers, body: { session_id: crypto.randomUUID() } });
  assert.equal(early.status, 503, early.text);
  assert.equal(early.body?.code, 'db_not_ready');
  assert.ok(Number(early.headers.get('retry-after')) >= 1, 'REST: Retry-After');
  assert.ok(early.body.retry_after >= 1, 'REST: retry_after');

  const ws = await connectWs(tp.wsUrl(), { origin: ALLOWED_TEST_ORIGIN });
  const error = await ws.waitFor('error');
  assert.equal(error.data.code, 'db_not_ready');
  assert.ok(error.data.retry_after >= 1);
  assert.equal((await ws.waitForClose()).code, 1011);
  assert.equal(ready, false, 'not ready while the database is down');

  relay.setUp(true);
  // The retry delay is capped at 5 s (with jitter); allow for a few attempts.
  await within(tp.platform.ready, 30_000, 'platform ready after the database came up');
  const readiness = await api(tp.url, 'GET', '/readyz');
  assert.equal(readiness.status, 200, readiness.text);
  assert.equal(readiness.body.database, 'postgres');

  const created = await api(tp.url, 'POST', '/api/v1/chat', { ...headers, body: { session_id: crypto.randomUUID() } });
  assert.equal(created.status, 201, created.text);
  const { ws: joinedWs } = await connectAndJoin(tp.wsUrl(), { chatId: created.body.id as string, token });
  t.after(() => joinedWs.close());
  joinedWs.mark();
  joinedWs.send({ type: 'user_message', data: { text: 'are you there now?', client_message_id: 'late-1' } });
  const answer = await joinedWs.collectAnswer();
  assert.equal(answer.complete.data.content, answer.text);
  assert.ok(answer.text.length > 0);
});

test('closing a node that is still waiting for its database ends the wait', { skip }, async (t) => {
  const { tp } = await startWithDatabaseDown(t);
  await within(tp.close(), 15_000, 'close while waiting');
  await assert.rejects(tp.platform.ready, /closed before the database was ready/);
});

test('a database that refuses for good (it does not exist) fails the start instead of being waited for', { skip }, async () => {
  const missing = new URL(databaseUrl);
  missing.pathname = `/no_such_database_${process.pid}`;
  const config = loadConfig({ DATABASE_URL: missing.toString(), JWT_SECRET: 'x'.repeat(40), LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0' });
  await assert.rejects(within(createPlatform(config, { seedKnowledge: false }), 15_000, 'createPlatform'), /does not exist/);
});
