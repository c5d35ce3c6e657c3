import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import Fastify, { type FastifyInstance } from 'fastify';
import { registerErrorHandling } from '../../src/http/error-handler.ts';
import adminKnowledgeRoutes from '../../src/http/routes/admin-knowledge-routes.ts';
import type { Store } from '../../src/store/store.ts';
import { testDatabaseTargets, type TestDatabase } from '../store/test-databases.ts';
import { makeTestPdf } from './make-test-pdf.ts';

const [sqlite] = testDatabaseTargets();

describe('admin knowledge API (SQLite, Fastify inject)', () => {
  let database: TestDatabase;
  let store: Store;
  let app: FastifyInstance;
  let keyA: string;
  let keyB: string;
  let publishableA: string;

  before(async () => {
    assert.ok(sqlite);
    database = await sqlite.create();
    const opened = await database.open();
    store = opened.store;
    const a = await store.tenants.create({ id: 'tenant-a' });
    const b = await store.tenants.create({ id: 'tenant-b' });
    keyA = a.secretKey;
    keyB = b.secretKey;
    publishableA = a.tenant.publishableKey;
    app = Fastify({ logger: false });
    registerErrorHandling(app);
    await app.register(adminKnowledgeRoutes, { store, knowledge: opened.knowledge, maxDocumentBytes: 256 * 1024 });
    await app.ready();
  });
  after(async () => {
    await app?.close();
    await database?.dispose();
  });

  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  const postDocument = (key: string, payload: Record<string, unknown>) =>
    app.inject({ method: 'POST', url: '/api/v1/admin/documents', headers: auth(key), payload });

  test('authentication: only the tenant secret key is accepted', async () => {
    const none = await app.inject({ method: 'GET', url: '/api/v1/admin/documents' });
    assert.equal(none.statusCode, 401);
    assert.equal(none.json().code, 'auth_required');
    assert.ok(none.json().request_id);
    for (const key of [publishableA, 'eyJhbGciOiJIUzI1NiJ9.eyJ0ZW5hbnRfaWQiOiJ0ZW5hbnQtYSJ9.sig', 'sk_wrong', `${keyA}x`]) {
      const response = await app.inject({ method: 'GET', url: '/api/v1/admin/documents', headers: auth(key) });
      assert.equal(response.statusCode, 401, key);
      assert.equal(response.json().code, 'invalid_api_key', key);
    }
    const basic = await app.inject({ method: 'GET', url: '/api/v1/admin/documents', headers: { authorization: `Basic ${keyA}` } });
    assert.equal(basic.json().code, 'invalid_api_key');
    const ok = await app.inject({ method: 'GET', url: '/api/v1/admin/documents', headers: auth(keyA) });
    assert.equal(ok.statusCode, 200);
  });

  test('add, replace, list, get, search and delete a document', async () => {
    const created = await postDocument(keyA, { title: 'Shipping', format: 'markdown', external_id: 'shipping', content: '# Shipping\n\n## Times\n\nOrders ship within 2 business days.' });
    assert.equal(created.statusCode, 201, created.body);
    const document = created.json();
    assert.equal(document.title, 'Shipping');
    assert.equal(document.external_id, 'shipping');
    assert.equal(document.format, 'markdown');
    assert.equal(document.chunk_count, 1);
    assert.equal(document.changed, true);

    const same = await postDocument(keyA, { title: 'Shipping', format: 'markdown', external_id: 'shipping', content: '# Shipping\n\n## Times\n\nOrders ship within 2 business days.' });
    assert.equal(same.statusCode, 200);
    assert.equal(same.json().changed, false);
    assert.equal(same.json().id, document.id);

    const replaced = await postDocument(keyA, { title: 'Shipping', format: 'markdown', external_id: 'shipping', content: '# Shipping\n\n## Times\n\nOrders ship within 3 business days.' });
    assert.equal(replaced.statusCode, 201);
    assert.equal(replaced.json().id, document.id);

    const search = await app.inject({ method: 'GET', url: '/api/v1/admin/search?q=how%20long%20does%20shipping%20take', headers: auth(keyA) });
    assert.equal(search.statusCode, 200);
    const items = search.json().items;
    assert.equal(items.length, 1);
    assert.equal(items[0].document_id, document.id);
    assert.equal(items[0].heading, 'Times');
    assert.match(items[0].text, /3 business days/);
    assert.equal(typeof items[0].score, 'number');

    const html = await postDocument(keyA, { format: 'html', url: 'https://a.test/returns', content: '<title>Returns</title><nav>NAVTEXT</nav><main><h1>Returns</h1><p>Returns are free for 30 days.</p></main>' });
    assert.equal(html.statusCode, 201);
    assert.equal(html.json().title, 'Returns');
    assert.equal(html.json().external_id, 'https://a.test/returns', 'the URL is the default external id');

    const pdf = await postDocument(keyA, { format: 'pdf', title: 'Warranty', content: Buffer.from(makeTestPdf([['Warranty lasts two years.']])).toString('base64') });
    assert.equal(pdf.statusCode, 201, pdf.body);

    const list = await app.inject({ method: 'GET', url: '/api/v1/admin/documents?limit=2', headers: auth(keyA) });
    assert.equal(list.json().total, 3);
    assert.equal(list.json().items.length, 2);
    const page2 = await app.inject({ method: 'GET', url: '/api/v1/admin/documents?limit=2&offset=2', headers: auth(keyA) });
    assert.equal(page2.json().items.length, 1);

    const one = await app.inject({ method: 'GET', url: `/api/v1/admin/documents/${html.json().id}`, headers: auth(keyA) });
    assert.equal(one.statusCode, 200);
    assert.equal(one.json().content, '# Returns\n\nReturns are free for 30 days.');

    const deleted = await app.inject({ method: 'DELETE', url: `/api/v1/admin/documents/${document.id}`, headers: auth(keyA) });
    assert.equal(deleted.statusCode, 204);
    const gone = await app.inject({ method: 'GET', url: `/api/v1/admin/documents/${document.id}`, headers: auth(keyA) });
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.json().code, 'document_not_found');
    const afterDelete = await app.inject({ method: 'GET', url: '/api/v1/admin/search?q=shipping', headers: auth(keyA) });
    assert.deepEqual(afterDelete.json().items, []);
    const again = await app.inject({ method: 'DELETE', url: `/api/v1/admin/documents/${document.id}`, headers: auth(keyA) });
    assert.equal(again.statusCode, 404);

    const reindex = await app.inject({ method: 'POST', url: '/api/v1/admin/reindex', headers: auth(keyA) });
    assert.equal(reindex.statusCode, 200);
    assert.deepEqual(reindex.json(), { reindexed: 2, skipped: [] });
    const afterReindex = await app.inject({ method: 'GET', url: '/api/v1/admin/search?q=warranty', headers: auth(keyA) });
    assert.equal(afterReindex.json().items.length, 1);
  });

  test('tenant B can neither see nor change tenant A documents', async () => {
    const created = await postDocument(keyA, { title: 'Secret plan', format: 'text', content: 'The launch date of project falcon is in May.' });
    const id = created.json().id;
    const list = await app.inject({ method: 'GET', url: '/api/v1/admin/documents', headers: auth(keyB) });
    assert.equal(list.json().total, 0);
    const get = await app.inject({ method: 'GET', url: `/api/v1/admin/documents/${id}`, headers: auth(keyB) });
    assert.equal(get.statusCode, 404);
    const del = await app.inject({ method: 'DELETE', url: `/api/v1/admin/documents/${id}`, headers: auth(keyB) });
    assert.equal(del.statusCode, 404);
    const search = await app.inject({ method: 'GET', url: '/api/v1/admin/search?q=project%20falcon%20launch', headers: auth(keyB) });
    assert.deepEqual(search.json().items, []);
    const reindex = await app.inject({ method: 'POST', url: '/api/v1/admin/reindex', headers: auth(keyB) });
    assert.deepEqual(reindex.json(), { reindexed: 0, skipped: [] });
    // Tenant B writing the same external id creates its own document.
    const same = await postDocument(keyB, { title: 'Mine', format: 'text', external_id: 'x', content: 'B content' });
    assert.equal(same.statusCode, 201);
    assert.ok(await store.documents.get('tenant-a', id), 'A still has its document');
    const stillA = await app.inject({ method: 'GET', url: '/api/v1/admin/search?q=project%20falcon', headers: auth(keyA) });
    assert.equal(stillA.json().items.length, 1);
  });

  test('bad input gets stable error codes, never a 500', async () => {
    const missing = await postDocument(keyA, { format: 'markdown' });
    assert.equal(missing.statusCode, 422);
    assert.equal(missing.json().code, 'validation_error');
    assert.deepEqual(missing.json().detail[0].loc, ['body', 'content']);
    const badFormat = await postDocument(keyA, { content: 'x', format: 'docx' });
    assert.equal(badFormat.statusCode, 422);
    const badTypes = await postDocument(keyA, { content: 42, title: ['x'], url: 'ftp://x' });
    assert.equal(badTypes.statusCode, 422);
    assert.equal(badTypes.json().detail.length, 3);
    const empty = await postDocument(keyA, { content: '<script>only()</script>', format: 'html' });
    assert.equal(empty.statusCode, 422);
    const badPdf = await postDocument(keyA, { content: 'bm90IGEgcGRm', format: 'pdf' });
    assert.equal(badPdf.statusCode, 422);
    const json = await app.inject({ method: 'POST', url: '/api/v1/admin/documents', headers: { ...auth(keyA), 'content-type': 'application/json' }, payload: '{"content":' });
    assert.equal(json.statusCode, 400);
    assert.equal(json.json().code, 'invalid_json');
    const big = await postDocument(keyA, { content: 'x'.repeat(300 * 1024) });
    assert.equal(big.statusCode, 413);
    assert.equal(big.json().code, 'payload_too_large');
    const noQuery = await app.inject({ method: 'GET', url: '/api/v1/admin/search', headers: auth(keyA) });
    assert.equal(noQuery.statusCode, 422);
    const badLimit = await app.inject({ method: 'GET', url: '/api/v1/admin/documents?limit=abc', headers: auth(keyA) });
    assert.equal(badLimit.statusCode, 422);
    const syntax = await app.inject({ method: 'GET', url: `/api/v1/admin/search?q=${encodeURIComponent('"NEAR( * OR -x ^title:')}`, headers: auth(keyA) });
    assert.equal(syntax.statusCode, 200, 'search syntax in a question is just text');
  });
});
