/**
 * The daily token counts are shared by every node: two platforms on one PostgreSQL database (no
 * Redis needed: the counts live in the database) — a visitor who spent its budget through one node
 * is refused by the other, over the WebSocket and over REST.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { api } from '@miptech/testing/api-client.ts';
import { createScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { dropSchema, testPostgres, uniqueSchemaName } from '@miptech/testing/test-databases.ts';
import { connectAndJoin } from '@miptech/testing/ws-test-client.ts';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';

const postgres = testPostgres();

test('a budget spent through one node is spent on the other', { skip: postgres.skip ?? false }, async (t) => {
  const database = { databaseUrl: postgres.url!, schema: uniqueSchemaName() };
  t.after(() => dropSchema(database.databaseUrl, database.schema));
  const env = { JWT_SECRET: `test-secret-${randomBytes(24).toString('hex')}` };
  const first = await startTestPlatform({ database, env, overrides: { engine: createScriptedEngine() } });
  t.after(() => first.close());
  const engine = createScriptedEngine();
  const second = await startTestPlatform({ database, env, overrides: { engine } });
  t.after(() => second.close());

  const tenantId = `budget-x-${Date.now().toString(36)}`;
  // One scripted answer (15 tokens) spends it.
  await first.createTenant(tenantId, { visitorDailyTokenBudget: 15 });
  second.platform.services.tenants.invalidate(tenantId);
  const token = await first.mintToken({ tenantId, sub: 'alice' });

  const onFirst = await connectAndJoin(first.wsUrl({}, tenantId), { token, create: true });
  t.after(() => onFirst.ws.close());
  const chatId = String(onFirst.joined.data.chat_id);
  onFirst.ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'on node one', client_message_id: randomUUID() } });
  assert.equal((await onFirst.ws.collectAnswer()).complete.data.status, 'complete');

  const onSecond = await connectAndJoin(second.wsUrl({}, tenantId), { token, chatId });
  t.after(() => onSecond.ws.close());
  onSecond.ws.mark();
  onSecond.ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'on node two', client_message_id: randomUUID() } });
  const refused = await onSecond.ws.collectAnswer();
  assert.equal(refused.complete.data.error_code, 'budget_exceeded');
  assert.equal(engine.requests.length, 0, 'the second node did not call its model');

  const rest = await api(second.url, 'POST', `/api/v1/chat/${chatId}/messages`, { token, tenantId, body: { content: 'REST on node two' } });
  assert.equal(rest.status, 429);
  assert.equal(rest.body.code, 'budget_exceeded');
  assert.ok(Number(rest.headers.get('retry-after')) > 0);
});
