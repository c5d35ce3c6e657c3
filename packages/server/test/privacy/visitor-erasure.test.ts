/**
 * Erasure and export of one visitor (`sub`) through the admin API, on real sockets and the store of
 * TEST_STORE: everything of that sub in the key's tenant goes (chats, messages, token counts, the
 * event log's entries), the same sub in another tenant and other visitors stay, and the receipt
 * counts what was deleted per store. A Redis variant checks that no key of an erased chat is left.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { api } from '@miptech/testing/api-client.ts';
import { connectAndJoin } from '@miptech/testing/ws-test-client.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { REDIS_SKIP_REASON, testRedisUrl } from '../scale/helpers/test-redis.ts';

/** Opens a chat as `sub` over the WebSocket, sends `texts` one by one and waits for each answer; returns the chat id. */
async function chatAs(tp: TestPlatform, tenantId: string, sub: string, texts: string[]): Promise<string> {
  const token = await tp.mintToken({ tenantId, sub });
  const { ws, joined } = await connectAndJoin(tp.wsUrl({}, tenantId), { token, create: true });
  const chatId = String(joined.data.chat_id);
  try {
    for (const text of texts) {
      ws.mark();
      ws.send({ type: 'user_message', data: { chat_id: chatId, text, client_message_id: randomUUID() } });
      await ws.collectAnswer();
    }
  } finally {
    await ws.close();
  }
  return chatId;
}

describe('visitor erasure and export (admin API)', () => {
  let tp: TestPlatform;
  let keyA: string;
  let keyB: string;
  const A = `erase-a-${Date.now().toString(36)}`;
  const B = `erase-b-${Date.now().toString(36)}`;
  const chats: Record<string, string[]> = { aliceA: [], bobA: [], aliceB: [] };

  before(async () => {
    tp = await startTestPlatform();
    keyA = (await tp.createTenant(A)).secretKey;
    keyB = (await tp.createTenant(B)).secretKey;
    chats.aliceA!.push(await chatAs(tp, A, 'alice', ['first question', 'second question']));
    chats.aliceA!.push(await chatAs(tp, A, 'alice', ['another chat']));
    chats.bobA!.push(await chatAs(tp, A, 'bob', ['bob asks']));
    chats.aliceB!.push(await chatAs(tp, B, 'alice', ['alice at tenant B']));
    await tp.platform.services.store.tokenUsage.add(A, 'alice', '2026-01-01', 42);
  });
  after(() => tp?.close());

  test('the admin routes need the tenant secret key', async () => {
    assert.equal((await api(tp.url, 'GET', '/api/v1/admin/visitors/alice/export')).status, 401);
    const token = await tp.mintToken({ tenantId: A, sub: 'alice' });
    const withJwt = await api(tp.url, 'DELETE', '/api/v1/admin/visitors/alice', { token });
    assert.equal(withJwt.status, 401);
    assert.equal(withJwt.body.code, 'invalid_api_key');
    assert.equal((await tp.platform.services.store.privacy.chatIdsOfVisitor(A, 'alice')).length, 2, 'nothing erased by a refused call');
  });

  test('export returns every chat of the visitor with its messages and token counts, and nothing of others', async () => {
    const res = await api(tp.url, 'GET', '/api/v1/admin/visitors/alice/export', { token: keyA });
    assert.equal(res.status, 200);
    assert.equal(res.body.tenant_id, A);
    assert.equal(res.body.sub, 'alice');
    assert.deepEqual(res.body.chats.map((chat: { id: string }) => chat.id).sort(), [...chats.aliceA!].sort());
    const first = res.body.chats.find((chat: { id: string }) => chat.id === chats.aliceA![0]);
    assert.deepEqual(
      first.messages.map((message: { role: string; content: string }) => [message.role, message.role === 'user' ? message.content : 'answer']),
      [
        ['user', 'first question'],
        ['assistant', 'answer'],
        ['user', 'second question'],
        ['assistant', 'answer'],
      ],
    );
    assert.equal(first.messages[1].content, 'Hello from the scripted engine.');
    assert.equal(first.messages[1].model, 'scripted-model');
    assert.ok(res.body.token_usage.some((row: { day: string; tokens: number }) => row.day === '2026-01-01' && row.tokens === 42));
    assert.ok(!res.text.includes('bob asks') && !res.text.includes('alice at tenant B'), 'no other visitor, no other tenant');
  });

  test('erasure deletes the visitor in this tenant only and returns a receipt per store', async () => {
    const { store, eventLog } = tp.platform.services;
    assert.ok((await eventLog.retained!(A, chats.aliceA![0]!)).length > 0, 'the event log holds the chat before');

    const res = await api(tp.url, 'DELETE', '/api/v1/admin/visitors/alice', { token: keyA });
    assert.equal(res.status, 200);
    const receipt = res.body;
    assert.equal(receipt.tenant_id, A);
    assert.equal(receipt.sub, 'alice');
    assert.ok(Math.abs(Date.parse(receipt.erased_at) - Date.now()) < 60_000);
    assert.deepEqual([...receipt.chat_ids].sort(), [...chats.aliceA!].sort());
    // token_usage: the row written above, and today's row the three answers were counted in.
    assert.deepEqual(receipt.deleted.database, { chats: 2, messages: 6, token_usage: 2 });
    assert.equal(receipt.deleted.event_log.kind, 'in-process');
    assert.equal(receipt.deleted.event_log.chats, 2);
    assert.ok(receipt.deleted.event_log.entries >= 6, `retained events deleted: ${receipt.deleted.event_log.entries}`);
    assert.equal(receipt.deleted.search_index.entries, 0);
    assert.equal(receipt.deleted.webhooks_queue.entries, 0);

    // Gone everywhere in tenant A …
    assert.deepEqual(await store.privacy.chatIdsOfVisitor(A, 'alice'), []);
    for (const chatId of chats.aliceA!) {
      assert.equal(await store.chats.get(A, chatId), null);
      assert.deepEqual(await eventLog.retained!(A, chatId), []);
    }
    assert.deepEqual((await store.privacy.visitorRecords(A, 'alice')).tokenUsage, []);
    const token = await tp.mintToken({ tenantId: A, sub: 'alice' });
    assert.equal((await api(tp.url, 'GET', `/api/v1/chat/${chats.aliceA![0]}`, { token, tenantId: A })).status, 404);
    const exported = await api(tp.url, 'GET', '/api/v1/admin/visitors/alice/export', { token: keyA });
    assert.deepEqual(exported.body.chats, []);

    // … while another visitor of A and the same sub at tenant B are untouched.
    assert.deepEqual(await store.privacy.chatIdsOfVisitor(A, 'bob'), chats.bobA);
    assert.deepEqual(await store.privacy.chatIdsOfVisitor(B, 'alice'), chats.aliceB);
    const atB = await api(tp.url, 'GET', '/api/v1/admin/visitors/alice/export', { token: keyB });
    assert.equal(atB.body.chats.length, 1);
    assert.equal(atB.body.chats[0].messages[0].content, 'alice at tenant B');

    // Erasing again finds nothing.
    const again = await api(tp.url, 'DELETE', '/api/v1/admin/visitors/alice', { token: keyA });
    assert.deepEqual(again.body.deleted.database, { chats: 0, messages: 0, token_usage: 0 });
    assert.deepEqual(again.body.chat_ids, []);
  });
});

const redisUrl = testRedisUrl();

test('with Redis, erasure deletes every Redis key of the visitor’s chats', { skip: redisUrl === null ? REDIS_SKIP_REASON : false }, async (t) => {
  const prefix = `erase-test-${randomUUID().slice(0, 8)}:`;
  const tp = await startTestPlatform({ env: { REDIS_URL: redisUrl!, REDIS_KEY_PREFIX: prefix } });
  t.after(() => tp.close());
  const redis = new Redis(redisUrl!, { lazyConnect: false, maxRetriesPerRequest: 1 });
  t.after(() => redis.quit());
  const { secretKey } = await tp.createTenant(`erase-redis-${Date.now().toString(36)}`);
  const tenantId = (await tp.platform.services.store.tenants.findBySecretKey(secretKey))!.id;
  const erased = await chatAs(tp, tenantId, 'carol', ['to be forgotten']);
  const kept = await chatAs(tp, tenantId, 'dave', ['to be kept']);

  const keysOf = (chatId: string) => redis.keys(`${prefix}chat:{${chatId}}*`);
  const before = await keysOf(erased);
  assert.ok(before.some((key) => key.endsWith(':log')), `the chat's stream exists before: ${before.join(', ')}`);

  const res = await api(tp.url, 'DELETE', '/api/v1/admin/visitors/carol', { token: secretKey });
  assert.equal(res.status, 200);
  assert.equal(res.body.deleted.event_log.kind, 'redis');
  assert.equal(res.body.deleted.event_log.entries, before.length, 'every key of the chat, counted');
  assert.deepEqual(await keysOf(erased), []);
  assert.ok((await keysOf(kept)).length > 0, "another visitor's chat keeps its keys");
});
