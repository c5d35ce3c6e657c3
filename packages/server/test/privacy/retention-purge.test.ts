/**
 * Per-tenant retention. On each dialect (test-databases.ts) with explicit timestamps: which chats
 * count as inactive (created before the cutoff and no message since), and that deleting them takes
 * their messages and nothing of another tenant. On a platform with a manual clock: the node's timer
 * purges a tenant's chats past its retentionDays, with their event-log entries, leaves tenants
 * without retention (or with a longer one) alone, and two purges at once delete each chat once.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../../src/store/store.ts';
import { RetentionPurge } from '../../src/chat/retention-purge.ts';
import { createLogger } from '../../src/base/logger.ts';
import { api } from '@miptech/testing/api-client.ts';
import { ManualClock } from '@miptech/testing/manual-clock.ts';
import { connectAndJoin } from '@miptech/testing/ws-test-client.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { testDatabaseTargets, type TestDatabase } from '@miptech/testing/test-databases.ts';

const DAY_MS = 86_400_000;

for (const target of testDatabaseTargets()) {
  describe(`retention queries (${target.dialect})`, { skip: target.skip }, () => {
    let database: TestDatabase;
    let store: Store;

    before(async () => {
      database = await target.create();
      ({ store } = await database.open());
      await store.tenants.create({ id: 'keep-a' });
      await store.tenants.create({ id: 'keep-b' });
    });
    after(() => database?.dispose());

    test('a chat is inactive when created before the cutoff with no message since; deleting it takes its messages only', async () => {
      const quiet = (await store.chats.createOrGet('keep-a', { sessionId: null, visitorId: 'v1' })).chat;
      const talking = (await store.chats.createOrGet('keep-a', { sessionId: null, visitorId: 'v2' })).chat;
      const otherTenant = (await store.chats.createOrGet('keep-b', { sessionId: null, visitorId: 'v1' })).chat;
      await store.messages.insertUser('keep-a', { chatId: quiet.id, content: 'old', clientMessageId: null });
      await sleep(30);
      const cutoff = new Date().toISOString();
      await sleep(30);
      await store.messages.insertUser('keep-a', { chatId: talking.id, content: 'recent', clientMessageId: null });

      assert.deepEqual(await store.privacy.inactiveChatIds('keep-a', cutoff, 100), [quiet.id], 'a chat with a message after the cutoff is active');
      assert.deepEqual(await store.privacy.inactiveChatIds('keep-b', cutoff, 100), [otherTenant.id]);
      const later = new Date(Date.now() + 1000).toISOString();
      assert.deepEqual((await store.privacy.inactiveChatIds('keep-a', later, 100)).sort(), [quiet.id, talking.id].sort());
      assert.deepEqual(await store.privacy.inactiveChatIds('keep-a', later, 1), [quiet.id], 'oldest first, bounded');

      // Ids of another tenant's chat are ignored by this tenant's delete.
      assert.deepEqual(await store.privacy.deleteChats('keep-a', [quiet.id, otherTenant.id]), { chats: 1, messages: 1 });
      assert.equal(await store.chats.get('keep-a', quiet.id), null);
      assert.notEqual(await store.chats.get('keep-b', otherTenant.id), null);
      assert.equal((await store.messages.recent('keep-a', talking.id, 10)).length, 1);
      assert.deepEqual(await store.privacy.deleteChats('keep-a', [quiet.id]), { chats: 0, messages: 0 }, 'idempotent');
    });

    test('token counts add up atomically per day and are purged by day', async () => {
      await Promise.all(Array.from({ length: 10 }, () => store.tokenUsage.add('keep-a', 'v1', '2026-03-01', 7)));
      await store.tokenUsage.add('keep-a', 'v2', '2026-03-02', 5);
      assert.deepEqual(await store.tokenUsage.usage('keep-a', 'v1', '2026-03-01'), { visitor: 70, tenant: 70 });
      assert.deepEqual(await store.tokenUsage.usage('keep-a', 'v1', '2026-03-02'), { visitor: 0, tenant: 5 });
      assert.deepEqual(await store.tokenUsage.usage('keep-b', 'v1', '2026-03-01'), { visitor: 0, tenant: 0 });
      assert.equal(await store.privacy.deleteUsageBefore('keep-a', '2026-03-02'), 2, "the day's tenant and visitor rows");
      assert.deepEqual(await store.tokenUsage.usage('keep-a', 'v2', '2026-03-02'), { visitor: 5, tenant: 5 });
    });
  });
}

describe('retention purge on a platform', () => {
  let tp: TestPlatform;
  const stamp = Date.now().toString(36);
  const tenants = { month: `ret-30-${stamp}`, twoMonths: `ret-60-${stamp}`, forever: `ret-none-${stamp}` };
  const keys: Record<string, string> = {};
  const chatOf: Record<string, string> = {};
  // The node's clock runs 31 days ahead of the wall clock the rows are stamped with: to the purge,
  // the chats made now are 31 days old (moving a manual clock through 31 days would fire every
  // heartbeat and lease timer on the way).
  const clock = new ManualClock(Date.now() + 31 * DAY_MS);

  before(async () => {
    tp = await startTestPlatform({ overrides: { clock }, env: { RETENTION_SWEEP_INTERVAL_MS: '1000' } });
    for (const tenantId of Object.values(tenants)) {
      keys[tenantId] = (await tp.createTenant(tenantId)).secretKey;
      const token = await tp.mintToken({ tenantId, sub: 'visitor' });
      const { ws, joined } = await connectAndJoin(tp.wsUrl({}, tenantId), { token, create: true });
      chatOf[tenantId] = String(joined.data.chat_id);
      ws.send({ type: 'user_message', data: { chat_id: chatOf[tenantId], text: 'remember me?', client_message_id: randomUUID() } });
      await ws.collectAnswer();
      await ws.close();
    }
  });
  after(() => tp?.close());

  test('retention is set through the admin API and validated', async () => {
    for (const [tenantId, days] of [[tenants.month, 30], [tenants.twoMonths, 60]] as const) {
      const res = await api(tp.url, 'PATCH', '/api/v1/admin/privacy-settings', { token: keys[tenantId], body: { retention_days: days } });
      assert.equal(res.status, 200);
      assert.equal(res.body.retention_days, days);
    }
    const bad = await api(tp.url, 'PATCH', '/api/v1/admin/privacy-settings', { token: keys[tenants.forever], body: { retention_days: -1 } });
    assert.equal(bad.status, 422);
    const read = await api(tp.url, 'GET', '/api/v1/admin/privacy-settings', { token: keys[tenants.forever] });
    assert.deepEqual(read.body, { retention_days: null, visitor_daily_token_budget: null, tenant_daily_token_budget: null, max_concurrent_model_calls: null });
  });

  test("the node's timer purges chats past the tenant's retention with their event-log entries", async () => {
    const { store, eventLog } = tp.platform.services;
    assert.ok((await eventLog.retained!(tenants.month, chatOf[tenants.month]!)).length > 0);
    await clock.advance(1000);
    const deadline = Date.now() + 5000;
    while ((await store.chats.get(tenants.month, chatOf[tenants.month]!)) !== null && Date.now() < deadline) await sleep(20);
    assert.equal(await store.chats.get(tenants.month, chatOf[tenants.month]!), null, 'purged after 30 days');
    assert.deepEqual(await store.messages.recent(tenants.month, chatOf[tenants.month]!, 10), []);
    assert.deepEqual(await eventLog.retained!(tenants.month, chatOf[tenants.month]!), [], 'its event-log entries too');
    assert.notEqual(await store.chats.get(tenants.twoMonths, chatOf[tenants.twoMonths]!), null, 'a 60-day retention keeps it');
    assert.notEqual(await store.chats.get(tenants.forever, chatOf[tenants.forever]!), null, 'no retention keeps it');
  });

  test('two purges at once (two nodes) delete each chat once between them', async () => {
    const { store, eventLog } = tp.platform.services;
    const logger = createLogger('silent');
    // 61 days after the chats were made: the 60-day tenant's chat is due.
    const later = new ManualClock(Date.now() + 61 * DAY_MS);
    const nodes = [1, 2].map(() => new RetentionPurge({ store, eventLog, logger, clock: later, intervalMs: 3_600_000 }));
    const results = await Promise.all(nodes.map((node) => node.runOnce()));
    const total = results.reduce((sum, result) => sum + result.chats, 0);
    assert.equal(total, 1, `deleted once between the two: ${JSON.stringify(results)}`);
    assert.equal(await store.chats.get(tenants.twoMonths, chatOf[tenants.twoMonths]!), null);
    assert.notEqual(await store.chats.get(tenants.forever, chatOf[tenants.forever]!), null);
  });
});
