import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { defaultTenantSettings } from '../../src/store/default-tenant-settings.ts';
import type { Store } from '../../src/store/store.ts';
import { testDatabaseTargets, type TestDatabase } from '@miptech/testing/test-databases.ts';

for (const target of testDatabaseTargets()) {
  describe(`tenants and chats (${target.dialect})`, { skip: target.skip }, () => {
    let database: TestDatabase;
    let store: Store;

    before(async () => {
      database = await target.create();
      ({ store } = await database.open());
    });
    after(() => database?.dispose());

    it('creates a tenant with a stored pk_ key and an sk_ key kept only as its SHA-256', async () => {
      const { tenant, secretKey } = await store.tenants.create({ id: 'keys-tenant', name: 'Keys Inc.' });
      assert.match(tenant.publishableKey, /^pk_[A-Za-z0-9_-]{20,}$/);
      assert.match(secretKey, /^sk_[A-Za-z0-9_-]{40,}$/);
      assert.equal(tenant.secretKeyHash, createHash('sha256').update(secretKey).digest('hex'));
      assert.ok(!JSON.stringify(await store.tenants.get('keys-tenant')).includes(secretKey), 'clear secret never stored');
      assert.equal(tenant.name, 'Keys Inc.');
      assert.deepEqual(tenant.settings, defaultTenantSettings());

      assert.equal((await store.tenants.findByPublishableKey(tenant.publishableKey))?.id, 'keys-tenant');
      assert.equal((await store.tenants.findBySecretKey(secretKey))?.id, 'keys-tenant');
      assert.equal(await store.tenants.findBySecretKey(`${secretKey}x`), null);
      assert.equal(await store.tenants.findBySecretKey(tenant.publishableKey), null, 'a pk_ key is not a secret key');
      assert.equal(await store.tenants.findBySecretKey(tenant.secretKeyHash), null, 'the stored hash is not a key');
      assert.equal(await store.tenants.findByPublishableKey(secretKey), null);
    });

    it('rejects a duplicate or malformed tenant id with a stable code', async () => {
      await store.tenants.create({ id: 'dup-tenant' });
      await assert.rejects(store.tenants.create({ id: 'dup-tenant' }), { code: 'conflict' });
      await assert.rejects(store.tenants.create({ id: 'bad id' }), { code: 'validation_error' });
      await assert.rejects(store.tenants.create({ id: '' }), { code: 'validation_error' });
    });

    it('merges settings on create and update; unknown tenant is tenant_not_found', async () => {
      const { tenant } = await store.tenants.create({
        id: 'settings-tenant',
        settings: { allowedOrigins: ['https://a.example'], rateLimits: { messagesPerMinute: 5, requestsPerMinute: 9, chatsPerHour: 2 } },
      });
      assert.deepEqual(tenant.settings.allowedOrigins, ['https://a.example']);
      assert.equal(tenant.settings.assistantName, 'MIPTech Assistant');
      const updated = await store.tenants.updateSettings('settings-tenant', { anonymousWidget: true, llm: { model: 'm1' } });
      assert.equal(updated.settings.anonymousWidget, true);
      assert.deepEqual(updated.settings.allowedOrigins, ['https://a.example']);
      assert.equal(updated.settings.rateLimits.messagesPerMinute, 5);
      assert.deepEqual(updated.settings.llm, { model: 'm1' });
      assert.deepEqual((await store.tenants.get('settings-tenant'))?.settings, updated.settings);
      await assert.rejects(store.tenants.updateSettings('no-such-tenant', { anonymousWidget: true }), { code: 'tenant_not_found' });
      assert.ok((await store.tenants.list()).some((t) => t.id === 'settings-tenant'));
      assert.equal(await store.tenants.get('no-such-tenant'), null);
    });

    it('creates a chat once per session id and returns it afterwards', async () => {
      await store.tenants.create({ id: 'chat-tenant' });
      const first = await store.chats.createOrGet('chat-tenant', {
        sessionId: 'session-1',
        visitorId: 'visitor-1',
        title: 'Website Chat Session',
        channel: 'web',
        context: { page: '/pricing' },
      });
      assert.equal(first.created, true);
      assert.match(first.chat.id, /^chat_[0-9a-z]{26}$/);
      assert.deepEqual(
        { ...first.chat, id: '', createdAt: '', updatedAt: '' },
        {
          id: '',
          tenantId: 'chat-tenant',
          sessionId: 'session-1',
          visitorId: 'visitor-1',
          title: 'Website Chat Session',
          channel: 'web',
          status: 'active',
          context: { page: '/pricing' },
          createdAt: '',
          updatedAt: '',
        },
      );
      assert.ok(!Number.isNaN(Date.parse(first.chat.createdAt)));
      const again = await store.chats.createOrGet('chat-tenant', { sessionId: 'session-1', visitorId: 'someone-else' });
      assert.equal(again.created, false);
      assert.deepEqual(again.chat, first.chat, 'the stored chat, owner included, so the caller can refuse another visitor');

      const a = await store.chats.createOrGet('chat-tenant', { sessionId: null, visitorId: null });
      const b = await store.chats.createOrGet('chat-tenant', { sessionId: null, visitorId: null });
      assert.ok(a.created && b.created && a.chat.id !== b.chat.id, 'chats without a session id are never merged');
      assert.deepEqual(await store.chats.get('chat-tenant', first.chat.id), first.chat);
    });

    it('creates exactly one chat under concurrent calls with the same session id', async () => {
      await store.tenants.create({ id: 'race-tenant' });
      const results = await Promise.all(
        Array.from({ length: 12 }, () => store.chats.createOrGet('race-tenant', { sessionId: 'same', visitorId: 'v' })),
      );
      assert.equal(results.filter((r) => r.created).length, 1);
      assert.equal(new Set(results.map((r) => r.chat.id)).size, 1);
    });

    it('refuses a chat for an unknown tenant', async () => {
      await assert.rejects(store.chats.createOrGet('ghost-tenant', { sessionId: 's', visitorId: null }), { code: 'tenant_not_found' });
    });

    it('reserves strictly increasing seq blocks, also across a reopen of the database', async () => {
      await store.tenants.create({ id: 'seq-tenant' });
      const { chat } = await store.chats.createOrGet('seq-tenant', { sessionId: 'seq', visitorId: null });
      assert.equal(await store.chats.seqCeiling('seq-tenant', chat.id), 0);
      assert.equal(await store.chats.reserveSeqBlock('seq-tenant', chat.id, 100), 0);
      assert.equal(await store.chats.seqCeiling('seq-tenant', chat.id), 100, 'the ceiling as reserved, read without moving it');
      assert.equal(await store.chats.seqCeiling('seq-tenant', chat.id), 100);
      assert.equal(await store.chats.reserveSeqBlock('seq-tenant', chat.id, 100), 100);
      const concurrent = await Promise.all(Array.from({ length: 10 }, () => store.chats.reserveSeqBlock('seq-tenant', chat.id, 10)));
      assert.deepEqual([...concurrent].sort((x, y) => x - y), [200, 210, 220, 230, 240, 250, 260, 270, 280, 290]);

      const { store: reopened } = await database.open();
      assert.equal(await reopened.chats.reserveSeqBlock('seq-tenant', chat.id, 5), 300);
      await reopened.close();
      assert.equal(await store.chats.reserveSeqBlock('seq-tenant', chat.id, 1), 305);
      await assert.rejects(store.chats.reserveSeqBlock('seq-tenant', 'chat_missing', 1), { code: 'chat_not_found' });
      await assert.rejects(store.chats.seqCeiling('seq-tenant', 'chat_missing'), { code: 'chat_not_found' });
      await assert.rejects(store.chats.reserveSeqBlock('seq-tenant', chat.id, 0), RangeError);
    });
  });
}
