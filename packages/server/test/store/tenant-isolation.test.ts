import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KnowledgeIndex } from '../../src/store/knowledge-index.ts';
import type { DocumentRecord, MessageRecord, Store } from '../../src/store/store.ts';
import { testDatabaseTargets, type TestDatabase } from '@miptech/testing/test-databases.ts';

const A = 'tenant-a';
const B = 'tenant-b';
const FINISH = { status: 'complete' as const, sources: [], model: null, promptTokens: null, completionTokens: null, responseTimeMs: null };

for (const target of testDatabaseTargets()) {
  describe(`tenant isolation (${target.dialect})`, { skip: target.skip }, () => {
    let database: TestDatabase;
    let store: Store;
    let knowledge: KnowledgeIndex;
    let secretA: string;
    let secretB: string;
    let chatA: string;
    let questionA: MessageRecord;
    let answerA: MessageRecord;
    let documentA: DocumentRecord;

    before(async () => {
      database = await target.create();
      ({ store, knowledge } = await database.open());
      ({ secretKey: secretA } = await store.tenants.create({ id: A }));
      ({ secretKey: secretB } = await store.tenants.create({ id: B }));
      chatA = (await store.chats.createOrGet(A, { sessionId: 'shared-session', visitorId: 'alice' })).chat.id;
      questionA = (await store.messages.insertUser(A, { chatId: chatA, content: 'secret question', clientMessageId: 'shared-client-id' })).message;
      answerA = await store.messages.startAssistant(A, {
        chatId: chatA,
        replyTo: questionA.id,
        leaseOwner: 'node-a',
        leaseExpiresAt: new Date(Date.now() + 60_000).toISOString(),
      });
      documentA = (
        await store.documents.upsert(A, {
          externalId: 'handbook.md',
          title: 'Handbook',
          url: null,
          sourceType: 'markdown',
          contentHash: 'hash-a',
          chunkCount: 1,
          content: 'A only',
        })
      ).document;
      await knowledge.indexDocument(A, {
        documentId: documentA.id,
        title: 'Handbook',
        url: null,
        chunks: [{ id: 'a-0', heading: 'Secrets', text: 'The launch codeword is marmalade.', position: 0 }],
      });
    });
    after(() => database?.dispose());

    it('keys resolve to their own tenant only', async () => {
      assert.equal((await store.tenants.findBySecretKey(secretA))?.id, A);
      assert.equal((await store.tenants.findBySecretKey(secretB))?.id, B);
      const tenantA = await store.tenants.get(A);
      assert.equal((await store.tenants.findByPublishableKey(tenantA?.publishableKey ?? ''))?.id, A);
      await store.tenants.updateSettings(B, { assistantName: 'B bot' });
      assert.equal((await store.tenants.get(A))?.settings.assistantName, 'MIPTech Assistant');
    });

    it('chats: B never reads or takes over A\'s chat, even with its id or session id', async () => {
      assert.equal(await store.chats.get(B, chatA), null);
      const own = await store.chats.createOrGet(B, { sessionId: 'shared-session', visitorId: 'bob' });
      assert.equal(own.created, true);
      assert.notEqual(own.chat.id, chatA);
      assert.equal(own.chat.tenantId, B);
      await assert.rejects(store.chats.reserveSeqBlock(B, chatA, 10), { code: 'chat_not_found' });
      await assert.rejects(store.chats.seqCeiling(B, chatA), { code: 'chat_not_found' });
      assert.equal(await store.chats.reserveSeqBlock(A, chatA, 10), 0, "B's attempt did not move A's ceiling");
    });

    it('messages: B cannot write into, read, page or finish A\'s messages', async () => {
      await assert.rejects(store.messages.insertUser(B, { chatId: chatA, content: 'intrude', clientMessageId: null }), { code: 'chat_not_found' });
      await assert.rejects(
        store.messages.insertUser(B, { chatId: chatA, content: 'intrude', clientMessageId: 'shared-client-id' }),
        { code: 'chat_not_found' },
        'a duplicate probe with A\'s client id reveals nothing either',
      );
      await assert.rejects(
        store.messages.startAssistant(B, { chatId: chatA, replyTo: questionA.id, leaseOwner: 'x', leaseExpiresAt: new Date().toISOString() }),
        { code: 'chat_not_found' },
      );
      assert.equal(await store.messages.get(B, questionA.id), null);
      assert.equal(await store.messages.findReply(B, questionA.id), null);
      assert.deepEqual(await store.messages.list(B, chatA, { limit: 50 }), { items: [], hasMore: false });
      assert.deepEqual(await store.messages.recent(B, chatA, 50), []);
      assert.deepEqual(await store.messages.recentTurns(B, chatA, 50), []);
      await assert.rejects(store.messages.finishAssistant(B, answerA.id, { ...FINISH, content: 'hijacked' }), { code: 'message_not_found' });
      assert.equal(
        await store.messages.claimExpiredStreaming(B, answerA.id, {
          now: '2999-01-01T00:00:00.000Z',
          leaseOwner: 'b-node',
          leaseExpiresAt: '2999-01-01T00:00:30.000Z',
        }),
        null,
      );
      await store.messages.renewLease(B, answerA.id, '2000-01-01T00:00:00.000Z');
      const stillA = await store.messages.get(A, answerA.id);
      assert.equal(stillA?.status, 'streaming');
      assert.equal(stillA?.content, '');
      assert.equal(stillA?.leaseExpiresAt, answerA.leaseExpiresAt);
      assert.equal(stillA?.leaseOwner, 'node-a');

      // B's own chat with the same client message id is an independent message.
      const chatB = (await store.chats.createOrGet(B, { sessionId: null, visitorId: null })).chat.id;
      const inserted = await store.messages.insertUser(B, { chatId: chatB, content: 'mine', clientMessageId: 'shared-client-id' });
      assert.equal(inserted.duplicate, false);
      assert.equal(inserted.message.content, 'mine');
      assert.deepEqual((await store.messages.list(A, chatA, { limit: 50 })).items.map((m) => m.id), [questionA.id, answerA.id]);
    });

    it('documents: B cannot see, overwrite or delete A\'s documents', async () => {
      assert.equal(await store.documents.get(B, documentA.id), null);
      assert.equal(await store.documents.findByExternalId(B, 'handbook.md'), null);
      assert.equal(await store.documents.getContent?.(B, documentA.id), null);
      assert.deepEqual(await store.documents.list(B, { limit: 50, offset: 0 }), { items: [], total: 0 });
      assert.equal(await store.documents.remove(B, documentA.id), false);

      const own = await store.documents.upsert(B, {
        externalId: 'handbook.md',
        title: 'B handbook',
        url: null,
        sourceType: 'markdown',
        contentHash: 'hash-a',
        chunkCount: 1,
      });
      assert.equal(own.changed, true, 'the same external id and hash in another tenant is a new document');
      assert.notEqual(own.document.id, documentA.id);
      assert.deepEqual(await store.documents.get(A, documentA.id), documentA);
      assert.equal(await store.documents.getContent?.(A, documentA.id), 'A only');
    });

    it('search: B never finds A\'s passages, and cannot replace or remove them with A\'s document id', async () => {
      assert.deepEqual(await knowledge.search(B, 'launch codeword marmalade'), []);
      await knowledge.removeDocument(B, documentA.id);
      await knowledge.indexDocument(B, {
        documentId: documentA.id,
        title: 'B page',
        url: null,
        chunks: [{ id: 'b-0', heading: null, text: 'Marmalade is made from oranges.', position: 0 }],
      });
      const forB = await knowledge.search(B, 'marmalade');
      assert.deepEqual(forB.map((p) => p.chunkId), ['b-0']);
      const forA = await knowledge.search(A, 'marmalade');
      assert.deepEqual(forA.map((p) => p.chunkId), ['a-0']);
      assert.equal(forA[0]?.title, 'Handbook');
    });
  });
}
