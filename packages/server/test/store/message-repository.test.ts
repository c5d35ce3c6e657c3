import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { MessageRecord, Store } from '../../src/store/store.ts';
import { testDatabaseTargets, type TestDatabase } from '@miptech/testing/test-databases.ts';

const FINISHED = {
  status: 'complete' as const,
  sources: [{ title: 'Guide', url: 'https://docs.example/guide', snippet: 'Add the script tag.' }],
  model: 'extractive',
  promptTokens: 12,
  completionTokens: 34,
  responseTimeMs: 56,
};

for (const target of testDatabaseTargets()) {
  describe(`messages (${target.dialect})`, { skip: target.skip }, () => {
    let database: TestDatabase;
    let store: Store;
    let chatId: string;

    before(async () => {
      database = await target.create();
      ({ store } = await database.open());
      await store.tenants.create({ id: 'msg-tenant' });
      ({ chat: { id: chatId } } = await store.chats.createOrGet('msg-tenant', { sessionId: 'main', visitorId: 'v1' }));
    });
    after(() => database?.dispose());

    async function newChat(): Promise<string> {
      return (await store.chats.createOrGet('msg-tenant', { sessionId: null, visitorId: null })).chat.id;
    }

    it('commits a user message and returns the stored one for a repeated client message id', async () => {
      const first = await store.messages.insertUser('msg-tenant', { chatId, content: 'Hello?', clientMessageId: 'client-1' });
      assert.equal(first.duplicate, false);
      assert.match(first.message.id, /^msg_[0-9a-z]{26}$/);
      assert.equal(first.message.role, 'user');
      assert.equal(first.message.status, 'complete');
      assert.equal(first.message.clientMessageId, 'client-1');
      assert.deepEqual(first.message.sources, []);

      const resend = await store.messages.insertUser('msg-tenant', { chatId, content: 'Hello? (resent)', clientMessageId: 'client-1' });
      assert.equal(resend.duplicate, true);
      assert.deepEqual(resend.message, first.message, 'the stored message, not the resent text');

      const concurrent = await Promise.all(
        Array.from({ length: 8 }, () => store.messages.insertUser('msg-tenant', { chatId, content: 'x', clientMessageId: 'client-2' })),
      );
      assert.equal(concurrent.filter((r) => !r.duplicate).length, 1);
      assert.equal(new Set(concurrent.map((r) => r.message.id)).size, 1);

      // The same client id in another chat is another message; no client id never deduplicates.
      const other = await store.messages.insertUser('msg-tenant', { chatId: await newChat(), content: 'Hello?', clientMessageId: 'client-1' });
      assert.equal(other.duplicate, false);
      const a = await store.messages.insertUser('msg-tenant', { chatId, content: 'same', clientMessageId: null });
      const b = await store.messages.insertUser('msg-tenant', { chatId, content: 'same', clientMessageId: null });
      assert.notEqual(a.message.id, b.message.id);
      await assert.rejects(store.messages.insertUser('msg-tenant', { chatId: 'chat_nope', content: 'x', clientMessageId: null }), {
        code: 'chat_not_found',
      });
    });

    it('streams an assistant reply under a lease and finishes it once', async () => {
      const chat = await newChat();
      const { message: question } = await store.messages.insertUser('msg-tenant', { chatId: chat, content: 'Q', clientMessageId: 'q' });
      const lease = new Date(Date.now() + 30_000).toISOString();
      const started = await store.messages.startAssistant('msg-tenant', { chatId: chat, replyTo: question.id, leaseOwner: 'node-a', leaseExpiresAt: lease });
      assert.equal(started.status, 'streaming');
      assert.equal(started.leaseOwner, 'node-a');
      assert.equal(started.completedAt, null);
      assert.equal((await store.messages.findReply('msg-tenant', question.id))?.id, started.id);

      const later = new Date(Date.now() + 60_000).toISOString();
      await store.messages.renewLease('msg-tenant', started.id, later);
      assert.equal((await store.messages.get('msg-tenant', started.id))?.leaseExpiresAt, later);

      const finished = await store.messages.finishAssistant('msg-tenant', started.id, { ...FINISHED, content: 'Answer.' });
      assert.equal(finished.status, 'complete');
      assert.equal(finished.content, 'Answer.');
      assert.deepEqual(finished.sources, FINISHED.sources);
      assert.equal(finished.model, 'extractive');
      assert.deepEqual([finished.promptTokens, finished.completionTokens, finished.responseTimeMs], [12, 34, 56]);
      assert.equal(finished.leaseOwner, null);
      assert.equal(finished.leaseExpiresAt, null);
      assert.ok(finished.completedAt);

      const second = await store.messages.finishAssistant('msg-tenant', started.id, { ...FINISHED, status: 'interrupted', content: 'late' });
      assert.deepEqual(second, finished, 'the first terminal state wins');
      await assert.rejects(store.messages.finishAssistant('msg-tenant', 'msg_nope', { ...FINISHED, content: '' }), { code: 'message_not_found' });
      assert.equal(await store.messages.findReply('msg-tenant', 'msg_nope'), null);
    });

    it('finds streaming messages whose lease expired, across tenants, oldest lease first', async () => {
      await store.tenants.create({ id: 'lease-other' });
      const otherChat = (await store.chats.createOrGet('lease-other', { sessionId: null, visitorId: null })).chat.id;
      const chat = await newChat();
      const { message: q } = await store.messages.insertUser('msg-tenant', { chatId: chat, content: 'Q', clientMessageId: null });
      const { message: q2 } = await store.messages.insertUser('lease-other', { chatId: otherChat, content: 'Q', clientMessageId: null });
      const now = Date.now();
      const at = (offset: number) => new Date(now + offset).toISOString();
      const expiredLate = await store.messages.startAssistant('msg-tenant', { chatId: chat, replyTo: q.id, leaseOwner: 'dead', leaseExpiresAt: at(-1_000) });
      const expiredEarly = await store.messages.startAssistant('lease-other', { chatId: otherChat, replyTo: q2.id, leaseOwner: 'dead', leaseExpiresAt: at(-5_000) });
      const alive = await store.messages.startAssistant('msg-tenant', { chatId: chat, replyTo: q.id, leaseOwner: 'alive', leaseExpiresAt: at(60_000) });
      const renewed = await store.messages.startAssistant('msg-tenant', { chatId: chat, replyTo: q.id, leaseOwner: 'slow', leaseExpiresAt: at(-2_000) });
      await store.messages.renewLease('msg-tenant', renewed.id, at(60_000));
      const done = await store.messages.startAssistant('msg-tenant', { chatId: chat, replyTo: q.id, leaseOwner: 'dead', leaseExpiresAt: at(-9_000) });
      await store.messages.finishAssistant('msg-tenant', done.id, { ...FINISHED, content: 'done' });

      const expired = await store.messages.findExpiredStreaming(at(0), 10);
      assert.deepEqual(expired.map((m) => m.id), [expiredEarly.id, expiredLate.id]);
      assert.equal(expired[0]?.tenantId, 'lease-other');
      assert.deepEqual((await store.messages.findExpiredStreaming(at(0), 1)).map((m) => m.id), [expiredEarly.id]);
      assert.ok(!expired.some((m) => m.id === alive.id || m.id === renewed.id || m.id === done.id));

      // The sweeper finishes each with its own tenant id; then they are no longer found.
      for (const message of expired) {
        await store.messages.finishAssistant(message.tenantId, message.id, { ...FINISHED, status: 'interrupted', content: '' });
      }
      assert.deepEqual(await store.messages.findExpiredStreaming(at(0), 10), []);
    });

    it('lets exactly one sweeper claim an expired streaming message', async () => {
      const chat = await newChat();
      const { message: q } = await store.messages.insertUser('msg-tenant', { chatId: chat, content: 'Q', clientMessageId: null });
      const now = Date.now();
      const at = (offset: number) => new Date(now + offset).toISOString();
      const expired = await store.messages.startAssistant('msg-tenant', { chatId: chat, replyTo: q.id, leaseOwner: 'dead', leaseExpiresAt: at(-1_000) });
      const alive = await store.messages.startAssistant('msg-tenant', { chatId: chat, replyTo: q.id, leaseOwner: 'alive', leaseExpiresAt: at(60_000) });

      const claims = await Promise.all(
        ['sweeper-1', 'sweeper-2', 'sweeper-3'].map((owner) =>
          store.messages.claimExpiredStreaming('msg-tenant', expired.id, { now: at(0), leaseOwner: owner, leaseExpiresAt: at(30_000) }),
        ),
      );
      const won = claims.filter((claim) => claim !== null);
      assert.equal(won.length, 1);
      assert.equal(won[0]?.id, expired.id);
      assert.equal(won[0]?.status, 'streaming');
      assert.equal((await store.messages.get('msg-tenant', expired.id))?.leaseOwner, won[0]?.leaseOwner);
      assert.equal(
        await store.messages.claimExpiredStreaming('msg-tenant', alive.id, { now: at(0), leaseOwner: 'thief', leaseExpiresAt: at(30_000) }),
        null,
        'a live lease is not taken',
      );
      await store.messages.finishAssistant('msg-tenant', expired.id, { ...FINISHED, status: 'interrupted', content: 'partial' });
      assert.equal(
        await store.messages.claimExpiredStreaming('msg-tenant', expired.id, { now: at(120_000), leaseOwner: 'late', leaseExpiresAt: at(150_000) }),
        null,
        'a finished message is not taken',
      );
    });

    it('pages a chat backwards by message id and lists recent complete messages oldest first', async () => {
      const chat = await newChat();
      const written: MessageRecord[] = [];
      for (let index = 0; index < 7; index += 1) {
        const { message } = await store.messages.insertUser('msg-tenant', { chatId: chat, content: `m${index}`, clientMessageId: `c${index}` });
        written.push(message);
        const reply = await store.messages.startAssistant('msg-tenant', {
          chatId: chat,
          replyTo: message.id,
          leaseOwner: 'n',
          leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
        });
        written.push(index === 6 ? reply : await store.messages.finishAssistant('msg-tenant', reply.id, { ...FINISHED, content: `a${index}` }));
      }
      const ids = written.map((m) => m.id);
      assert.deepEqual([...ids].sort(), ids, 'ids sort in creation order');

      const page1 = await store.messages.list('msg-tenant', chat, { limit: 5 });
      assert.deepEqual(page1.items.map((m) => m.id), ids.slice(9));
      assert.equal(page1.hasMore, true);
      const page2 = await store.messages.list('msg-tenant', chat, { limit: 5, before: page1.items[0]?.id ?? null });
      assert.deepEqual(page2.items.map((m) => m.id), ids.slice(4, 9));
      assert.equal(page2.hasMore, true);
      const page3 = await store.messages.list('msg-tenant', chat, { limit: 5, before: page2.items[0]?.id ?? null });
      assert.deepEqual(page3.items.map((m) => m.id), ids.slice(0, 4));
      assert.equal(page3.hasMore, false);
      const exact = await store.messages.list('msg-tenant', chat, { limit: 14 });
      assert.equal(exact.items.length, 14);
      assert.equal(exact.hasMore, false);

      const recent = await store.messages.recent('msg-tenant', chat, 4);
      assert.deepEqual(recent.map((m) => m.content), ['a4', 'm5', 'a5', 'm6']);
      assert.ok(recent.every((m) => m.status === 'complete'), 'the still-streaming answer is left out');
      assert.deepEqual(await store.messages.recent('msg-tenant', await newChat(), 4), []);
      const turns = await store.messages.recentTurns('msg-tenant', chat, 4);
      assert.deepEqual(turns, recent.map(({ id, role, content }) => ({ id, role, content })), 'the same messages, only who said what');
      assert.deepEqual(await store.messages.recentTurns('msg-tenant', await newChat(), 4), []);
    });
  });
}
