/**
 * The chunk rows of a large document are written in batches that yield to the event loop (so a
 * synchronous SQLite write does not hold it for the whole document), and replacing a document is
 * still atomic for readers: a search during the rewrite finds the old chunks or all the new ones,
 * never the old ones gone with the new ones half written.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KnowledgeIndex } from '../../src/store/knowledge-index.ts';
import { testDatabaseTargets, type TestDatabase } from '@miptech/testing/test-databases.ts';

const TENANT = 'batch-tenant';
const CHUNKS = 1000;

function chunks(word: string, lastWord: string) {
  return Array.from({ length: CHUNKS }, (_, position) => ({
    id: `doc-1:${position}`,
    heading: null,
    text: position === CHUNKS - 1 ? `${word} ${lastWord} closing chunk` : `${word} passage number ${position}`,
    position,
  }));
}

for (const target of testDatabaseTargets()) {
  describe(`batched chunk writes (${target.dialect})`, { skip: target.skip }, () => {
    let database: TestDatabase;
    let knowledge: KnowledgeIndex;
    before(async () => {
      database = await target.create();
      ({ knowledge } = await database.open());
    });
    after(() => database?.dispose());

    test('other work runs between batches, and readers never see a half-written replacement', async () => {
      const document = { documentId: 'doc-1', title: 'Big', url: null };
      await knowledge.indexDocument(TENANT, { ...document, chunks: chunks('alphaword', 'alphalast') });

      const seen: string[] = [];
      let ticks = 0;
      let writing = true;
      const ticker = setInterval(() => (ticks += 1), 1);
      const reader = (async () => {
        while (writing) {
          // One query, one snapshot: the last chunk of the new version matches two words, so it ranks first once written.
          const hits = await knowledge.search(TENANT, 'alphaword omegaword omegalast', { limit: 50 });
          const alpha = hits.some((hit) => hit.text.includes('alphaword')) ? 1 : 0;
          const omega = hits.some((hit) => hit.text.includes('omegaword')) ? 1 : 0;
          const omegaLast = hits.some((hit) => hit.text.includes('omegalast')) ? 1 : 0;
          seen.push(`${alpha}${omega}${omegaLast}`);
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      const started = ticks;
      await knowledge.indexDocument(TENANT, { ...document, chunks: chunks('omegaword', 'omegalast') });
      const ticksDuring = ticks - started;
      writing = false;
      clearInterval(ticker);
      await reader;

      assert.ok(seen.length > 0);
      // Old document (alpha only) or the whole new one (omega with its last chunk): nothing else.
      for (const state of seen) assert.ok(state === '100' || state === '011', `a reader saw alpha/omega/last = ${state}`);
      const afterwards = await knowledge.search(TENANT, 'alphaword omegaword omegalast', { limit: 50 });
      assert.ok(afterwards.length > 0 && afterwards.every((hit) => hit.text.includes('omegaword')));
      assert.ok(afterwards[0]!.text.includes('omegalast'), 'the two-word chunk ranks first');
      // Timers fired while the rows were written: the loop was not held for the whole document.
      assert.ok(ticksDuring > 0, `timer ticks during the write: ${ticksDuring}`);
    });
  });
}
