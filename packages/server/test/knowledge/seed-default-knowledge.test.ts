import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync, unlinkSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { AnswerPart } from '../../src/engines/answer-engine.ts';
import { createExtractiveEngine } from '../../src/engines/extractive-engine.ts';
import type { KnowledgeIndex } from '../../src/store/knowledge-index.ts';
import { seedDefaultKnowledge } from '../../src/knowledge/seed-default-knowledge.ts';
import type { Store, TenantRecord } from '../../src/store/store.ts';
import { testDatabaseTargets, type TestDatabase } from '@miptech/testing/test-databases.ts';

const repositoryDocs = resolve(import.meta.dirname, '../../../../docs');

async function answer(knowledge: KnowledgeIndex, tenant: TenantRecord, question: string) {
  const passages = await knowledge.search(tenant.id, question, { limit: 5 });
  let text = '';
  let sources: string[] = [];
  for await (const part of createExtractiveEngine().stream({ tenant, chatId: 'c', question, history: [], passages, signal: new AbortController().signal }) as AsyncIterable<AnswerPart>) {
    if (part.type === 'text') text += part.text;
    if (part.type === 'sources') sources = part.sources.map((source) => source.title);
  }
  return { text, sources, passages };
}

for (const target of testDatabaseTargets()) {
  describe(`default knowledge from the platform docs (${target.dialect})`, { skip: target.skip }, () => {
    let database: TestDatabase;
    let store: Store;
    let knowledge: KnowledgeIndex;
    let tenant: TenantRecord;

    before(async () => {
      database = await target.create();
      ({ store, knowledge } = await database.open());
      ({ tenant } = await store.tenants.create({ id: 'miptech-company', name: 'MIPTech' }));
      const result = await seedDefaultKnowledge({ store, knowledge, tenantId: tenant.id, docsDir: repositoryDocs });
      assert.ok(result.indexed >= 4, `indexed ${result.indexed}`);
    });
    after(() => database?.dispose());

    test('"How do I embed the widget?" is answered with the script tag', async () => {
      const { text, sources } = await answer(knowledge, tenant, 'How do I embed the widget?');
      assert.match(text, /<script src="https:\/\/PLATFORM\/widget\.js" data-tenant="miptech-company" data-key="pk_…" async><\/script>/);
      assert.ok(sources.length > 0);
    });

    test('"Which close codes should not reconnect?" lists the terminal codes', async () => {
      const { text } = await answer(knowledge, tenant, 'Which close codes should not reconnect?');
      for (const code of ['1000', '1008', '4400', '4401', '4403', '4408']) assert.ok(text.includes(code), `${code} in ${text}`);
    });

    test('questions about tokens, scopes and session_id find their sections', async () => {
      const token = await answer(knowledge, tenant, 'How do I get a token?');
      assert.match(token.text, /widget-token|miptech token/);
      const scopes = await answer(knowledge, tenant, 'What scopes are there?');
      assert.match(scopes.text, /chat:create/);
      assert.match(scopes.text, /chat:send/);
      const session = await answer(knowledge, tenant, 'What does session_id do when creating a chat?');
      assert.match(session.text, /201/);
      assert.match(session.text, /200/);
    });

    test('seeding again indexes nothing; other tenants see none of it', async () => {
      const again = await seedDefaultKnowledge({ store, knowledge, tenantId: tenant.id, docsDir: repositoryDocs });
      assert.equal(again.indexed, 0);
      assert.ok(again.unchanged >= 4);
      assert.equal(again.removed, 0);
      await store.tenants.create({ id: 'other-tenant' });
      assert.deepEqual(await knowledge.search('other-tenant', 'embed the widget'), []);
      assert.equal((await store.documents.list('other-tenant', { limit: 10, offset: 0 })).total, 0);
    });
  });
}

test('seeding updates changed files and removes vanished ones, leaving other documents alone', async () => {
  const [sqlite] = testDatabaseTargets();
  assert.ok(sqlite);
  const database = await sqlite.create();
  const root = mkdtempSync(join(tmpdir(), 'miptech-seed-'));
  try {
    const { store, knowledge } = await database.open();
    await store.tenants.create({ id: 't1' });
    mkdirSync(join(root, 'docs'));
    cpSync(join(repositoryDocs, 'faq.md'), join(root, 'docs', 'faq.md'));
    writeFileSync(join(root, 'docs', 'extra.md'), '# Extra\n\nThe zebra password is purple.');
    mkdirSync(join(root, 'packages', 'thing'), { recursive: true });
    writeFileSync(join(root, 'packages', 'thing', 'README.md'), '# Thing\n\nThing readme text.');
    await store.documents.upsert('t1', { externalId: 'manual', title: 'Manual', url: null, sourceType: 'text', contentHash: 'h', chunkCount: 0 });

    const first = await seedDefaultKnowledge({ store, knowledge, tenantId: 't1', docsDir: join(root, 'docs'), docsBaseUrl: 'https://docs.test/repo' });
    assert.equal(first.indexed, 3);
    const extra = await store.documents.findByExternalId('t1', 'seed:docs/extra.md');
    assert.equal(extra?.url, 'https://docs.test/repo/docs/extra.md');
    assert.ok(await store.documents.findByExternalId('t1', 'seed:packages/thing/README.md'));

    writeFileSync(join(root, 'docs', 'extra.md'), '# Extra\n\nThe zebra password is green.');
    unlinkSync(join(root, 'packages', 'thing', 'README.md'));
    const second = await seedDefaultKnowledge({ store, knowledge, tenantId: 't1', docsDir: join(root, 'docs'), docsBaseUrl: 'https://docs.test/repo' });
    assert.deepEqual(second, { indexed: 1, unchanged: 1, removed: 1 });
    const hits = await knowledge.search('t1', 'zebra password');
    assert.equal(hits.length, 1);
    assert.match(hits[0]?.text ?? '', /green/);
    assert.equal(await store.documents.findByExternalId('t1', 'seed:packages/thing/README.md'), null);
    assert.ok(await store.documents.findByExternalId('t1', 'manual'), 'documents not seeded are kept');
  } finally {
    await database.dispose();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a missing or empty knowledge folder is a logged warning and leaves the seeded documents alone', async () => {
  const [sqlite] = testDatabaseTargets();
  assert.ok(sqlite);
  const database = await sqlite.create();
  const root = mkdtempSync(join(tmpdir(), 'miptech-seed-empty-'));
  try {
    const { store, knowledge } = await database.open();
    await store.tenants.create({ id: 't1' });
    mkdirSync(join(root, 'docs'));
    writeFileSync(join(root, 'docs', 'only.md'), '# Only\n\nThe only seeded page.');
    const warnings: Array<{ fields: unknown; message: string | undefined }> = [];
    const logger = { warn: (fields: unknown, message?: string) => void warnings.push({ fields, message }) } as never;
    assert.equal((await seedDefaultKnowledge({ store, knowledge, tenantId: 't1', docsDir: join(root, 'docs'), logger })).indexed, 1);
    assert.equal(warnings.length, 0);

    unlinkSync(join(root, 'docs', 'only.md'));
    const empty = await seedDefaultKnowledge({ store, knowledge, tenantId: 't1', docsDir: join(root, 'docs'), logger });
    const missing = await seedDefaultKnowledge({ store, knowledge, tenantId: 't1', docsDir: join(root, 'nowhere'), logger });
    assert.deepEqual(empty, { indexed: 0, unchanged: 0, removed: 0 });
    assert.deepEqual(missing, { indexed: 0, unchanged: 0, removed: 0 });
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]?.message ?? '', /no default knowledge to seed/);
    assert.deepEqual(warnings[1]?.fields, { tenantId: 't1', docsDir: join(root, 'nowhere') });
    assert.ok(await store.documents.findByExternalId('t1', 'seed:docs/only.md'), 'the seeded document is kept');
  } finally {
    await database.dispose();
    rmSync(root, { recursive: true, force: true });
  }
});
