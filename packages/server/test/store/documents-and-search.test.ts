import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { KnowledgeIndex } from '../../src/store/knowledge-index.ts';
import type { Store, UpsertDocumentInput } from '../../src/store/store.ts';
import { testDatabaseTargets, type TestDatabase } from '@miptech/testing/test-databases.ts';

const TENANT = 'kb-tenant';

function documentInput(externalId: string | null, contentHash: string, extra: Partial<UpsertDocumentInput> = {}): UpsertDocumentInput {
  return { externalId, title: `Doc ${externalId}`, url: null, sourceType: 'markdown', contentHash, chunkCount: 1, ...extra };
}

/** Search syntax of FTS5 and tsquery that must neither throw nor change what a question means. */
const HOSTILE_QUERIES = [
  '"',
  '""',
  'widget"',
  '"embed the widget',
  '*',
  'widget*',
  'NEAR(widget script)',
  'NEAR',
  'widget NEAR/2 script',
  'widget OR',
  'OR widget',
  'AND',
  'widget AND NOT pricing',
  '-widget',
  'widget -script',
  'title:widget',
  'heading : script',
  '{title heading}: widget',
  '(widget',
  'widget)',
  '^widget',
  'widget^2',
  '+widget',
  "widget's",
  'widget & script | !pricing <-> plans',
  "'; drop table knowledge_chunks; --",
  '\\ / ` ~ @ # $ % = [ ] ; ,',
  'naïve café 東京 widget',
  `${'widget '.repeat(2000)}`,
  '\u0000widget\u0000',
  "don't-care widget",
  'session_id widget.js bottom-left',
  'x-y:z NEAR/3 a.b*c',
];

/** The plain words of a query: a passage found for it must contain one of them (or its stem). */
function queryWords(query: string): string[] {
  return (query.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).map((word) => word.slice(0, 5));
}

for (const target of testDatabaseTargets()) {
  describe(`documents and knowledge search (${target.dialect})`, { skip: target.skip }, () => {
    let database: TestDatabase;
    let store: Store;
    let knowledge: KnowledgeIndex;

    async function addDocument(externalId: string, title: string, chunks: Array<{ heading: string | null; text: string }>) {
      const { document } = await store.documents.upsert(TENANT, documentInput(externalId, `hash-${externalId}`, { title, chunkCount: chunks.length }));
      await knowledge.indexDocument(TENANT, {
        documentId: document.id,
        title,
        url: `https://docs.example/${externalId}`,
        chunks: chunks.map((chunk, position) => ({ id: `${externalId}-${position}`, position, ...chunk })),
      });
      return document;
    }

    before(async () => {
      database = await target.create();
      ({ store, knowledge } = await database.open());
      await store.tenants.create({ id: TENANT });
      await addDocument('embedding', 'Embedding the widget', [
        { heading: 'Script tag', text: 'Add the script tag before the closing body tag to embed the chat widget on your site.' },
        { heading: 'Options', text: 'The position option puts the launcher bottom-left or bottom-right.' },
      ]);
      await addDocument('close-codes', 'Close codes', [
        { heading: 'Reconnecting', text: 'Close codes 4401 and 4403 mean the client must not reconnect; after 1001 the client reconnects.' },
      ]);
      await addDocument('pricing', 'Pricing', [{ heading: null, text: 'Plans start at ten euros per month, billed yearly.' }]);
      await addDocument('rate-limits', 'Rate limits', [{ heading: null, text: 'Each tenant sets its own limits for messages per minute.' }]);
      await addDocument('faq', 'Frequently asked questions', [
        {
          heading: 'Misc',
          text:
            'Many things are covered in other pages. Also, the rate of replies depends on load, and limits on the number ' +
            'of chats exist. The assistant is friendly. Better answers come from better content.',
        },
      ]);
    });
    after(() => database?.dispose());

    it('upserts documents by external id and reports whether the content changed', async () => {
      const first = await store.documents.upsert(TENANT, documentInput('guide.md', 'h1', { url: 'https://x/guide', content: '# Guide' }));
      assert.equal(first.changed, true);
      assert.match(first.document.id, /^doc_[0-9a-z]{26}$/);
      assert.deepEqual(
        { ...first.document, id: '', createdAt: '', updatedAt: '' },
        { id: '', tenantId: TENANT, externalId: 'guide.md', title: 'Doc guide.md', url: 'https://x/guide', sourceType: 'markdown', contentHash: 'h1', chunkCount: 1, createdAt: '', updatedAt: '' },
      );
      assert.equal(await store.documents.getContent?.(TENANT, first.document.id), '# Guide');

      const same = await store.documents.upsert(TENANT, documentInput('guide.md', 'h1', { title: 'Renamed' }));
      assert.equal(same.changed, false);
      assert.deepEqual(same.document, first.document, 'an unchanged hash changes nothing');

      const edited = await store.documents.upsert(TENANT, documentInput('guide.md', 'h2', { title: 'Guide v2', chunkCount: 3, content: '# Guide v2' }));
      assert.equal(edited.changed, true);
      assert.equal(edited.document.id, first.document.id);
      assert.equal(edited.document.title, 'Guide v2');
      assert.equal(edited.document.chunkCount, 3);
      assert.equal(edited.document.createdAt, first.document.createdAt);
      assert.equal(await store.documents.getContent?.(TENANT, first.document.id), '# Guide v2');
      assert.deepEqual(await store.documents.findByExternalId(TENANT, 'guide.md'), edited.document);
      assert.deepEqual(await store.documents.get(TENANT, first.document.id), edited.document);

      const anonymousA = await store.documents.upsert(TENANT, documentInput(null, 'h1'));
      const anonymousB = await store.documents.upsert(TENANT, documentInput(null, 'h1'));
      assert.ok(anonymousA.changed && anonymousB.changed && anonymousA.document.id !== anonymousB.document.id);
      assert.equal(await store.documents.getContent?.(TENANT, anonymousA.document.id), null);
      await assert.rejects(store.documents.upsert('ghost-tenant', documentInput('x', 'h')), { code: 'tenant_not_found' });
    });

    it('lists documents in pages with the total', async () => {
      const all = await store.documents.list(TENANT, { limit: 100, offset: 0 });
      assert.equal(all.total, all.items.length);
      const page = await store.documents.list(TENANT, { limit: 2, offset: 1 });
      assert.equal(page.total, all.total);
      assert.deepEqual(page.items.map((d) => d.id), all.items.slice(1, 3).map((d) => d.id));
    });

    it('ranks the passage that answers the question first, title and heading weighted', async () => {
      const embed = await knowledge.search(TENANT, 'How do I embed the widget?');
      assert.equal(embed[0]?.title, 'Embedding the widget');
      assert.equal(embed[0]?.heading, 'Script tag');
      assert.equal(embed[0]?.url, 'https://docs.example/embedding');
      assert.match(embed[0]?.text ?? '', /script tag/);
      assert.equal(embed[0]?.chunkId, 'embedding-0');
      for (let index = 1; index < embed.length; index += 1) {
        assert.ok((embed[index - 1]?.score ?? 0) >= (embed[index]?.score ?? 0), 'best first, higher score better');
      }
      assert.ok((embed[0]?.score ?? 0) > 0);

      assert.equal((await knowledge.search(TENANT, 'Which close codes should not reconnect?'))[0]?.title, 'Close codes');
      assert.equal((await knowledge.search(TENANT, 'what does it cost per month'))[0]?.title, 'Pricing');
      // "rate" and "limits" also appear in the FAQ body; the page titled "Rate limits" wins.
      assert.equal((await knowledge.search(TENANT, 'rate limits'))[0]?.title, 'Rate limits');
      // Stemming: "embedding" finds "embed", "reconnecting" finds "reconnect".
      assert.equal((await knowledge.search(TENANT, 'embedding'))[0]?.title, 'Embedding the widget');
      assert.deepEqual(await knowledge.search(TENANT, 'quantum chromodynamics'), []);
      assert.deepEqual(await knowledge.search(TENANT, 'the and of'), [], 'only stop words: nothing to search');
      assert.deepEqual(await knowledge.search(TENANT, '   '), []);
      assert.equal((await knowledge.search(TENANT, 'widget client tenant plans', { limit: 2 })).length, 2);
    });

    it('treats search syntax in a question as plain words: never throws, never widens', async () => {
      for (const query of HOSTILE_QUERIES) {
        const words = queryWords(query);
        const passages = await knowledge.search(TENANT, query, { limit: 50 });
        for (const passage of passages) {
          const haystack = `${passage.title} ${passage.heading ?? ''} ${passage.text}`.toLowerCase();
          assert.ok(
            words.some((word) => haystack.includes(word)),
            `query ${JSON.stringify(query.slice(0, 40))} matched ${passage.chunkId}, which has none of its words`,
          );
        }
      }
      assert.ok((await knowledge.search(TENANT, 'widget"')).length > 0, 'a stray quote does not spoil the other words');
      assert.ok((await knowledge.search(TENANT, "don't-care widget")).length > 0);
      // A prefix star is not a prefix query: "bett*" must not match "better" in the FAQ.
      assert.deepEqual(await knowledge.search(TENANT, 'bett*'), []);
      // A minus is not NOT: the widget passage is still found.
      assert.ok((await knowledge.search(TENANT, '-widget')).some((p) => p.chunkId === 'embedding-0'));
      // A column filter is not a filter: "heading:" does not restrict "reconnect" to headings.
      assert.ok((await knowledge.search(TENANT, 'text:reconnect')).some((p) => p.chunkId === 'close-codes-0'));
      // The injection attempt left the index intact.
      assert.equal((await knowledge.search(TENANT, 'embed widget'))[0]?.chunkId, 'embedding-0');
    });

    it('replaces a document\'s chunks on re-index and drops them with the document', async () => {
      const document = await addDocument('changing', 'Changing page', [{ heading: null, text: 'The zebra crossing is painted white.' }]);
      assert.equal((await knowledge.search(TENANT, 'zebra')).length, 1);
      await knowledge.indexDocument(TENANT, {
        documentId: document.id,
        title: 'Changing page',
        url: null,
        chunks: [
          { id: 'c-0', heading: 'Animals', text: 'The giraffe eats leaves.', position: 0 },
          { id: 'c-1', heading: 'Animals', text: 'The giraffe sleeps standing.', position: 1 },
        ],
      });
      assert.deepEqual(await knowledge.search(TENANT, 'zebra'), []);
      assert.deepEqual((await knowledge.search(TENANT, 'giraffe')).map((p) => p.chunkId).sort(), ['c-0', 'c-1']);
      assert.equal((await knowledge.search(TENANT, 'giraffe'))[0]?.url, null);

      await knowledge.removeDocument(TENANT, document.id);
      assert.deepEqual(await knowledge.search(TENANT, 'giraffe'), []);

      const again = await addDocument('removed', 'Removed page', [{ heading: null, text: 'The okapi hides in the forest.' }]);
      assert.equal((await knowledge.search(TENANT, 'okapi')).length, 1);
      assert.equal(await store.documents.remove(TENANT, again.id), true);
      assert.deepEqual(await knowledge.search(TENANT, 'okapi'), [], 'removing the document also drops its chunks');
      assert.equal(await store.documents.remove(TENANT, again.id), false);
      assert.equal(await store.documents.get(TENANT, again.id), null);
    });
  });
}
