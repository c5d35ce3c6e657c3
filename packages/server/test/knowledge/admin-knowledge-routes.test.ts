/**
 * The admin knowledge API over real HTTP: a listening platform (127.0.0.1, port 0, the store of
 * TEST_STORE) and fetch, so the answers pass through every hook a deployment runs (error handling,
 * request ids, CORS) and the body limit is the one a real upload meets.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { api, type ApiResponse } from '@miptech/testing/api-client.ts';
import { ALLOWED_TEST_ORIGIN, startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { makeTestPdf } from './make-test-pdf.ts';

/** The route's default upload limit (10 MiB), which the platform does not change. */
const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

describe('admin knowledge API (listening platform, real HTTP)', () => {
  let tp: TestPlatform;
  let keyA: string;
  let keyB: string;
  let publishableA: string;

  before(async () => {
    tp = await startTestPlatform();
    // Both tenants allow ALLOWED_TEST_ORIGIN: a browser on that origin gets CORS for their chat API,
    // so its absence on the admin API below is the admin rule, not an unknown origin.
    const a = await tp.createTenant('tenant-a');
    const b = await tp.createTenant('tenant-b');
    keyA = a.secretKey;
    keyB = b.secretKey;
    publishableA = a.tenant.publishableKey;
  });
  after(async () => {
    await tp?.close();
  });

  const request = (method: string, path: string, key?: string | null, headers: Record<string, string> = {}) =>
    api(tp.url, method, path, { token: key ?? null, headers });
  const postDocument = (key: string, body: Record<string, unknown>) => api(tp.url, 'POST', '/api/v1/admin/documents', { token: key, body });

  test('authentication: only the tenant secret key is accepted', async () => {
    const none = await request('GET', '/api/v1/admin/documents');
    assert.equal(none.status, 401);
    assert.equal(none.body.code, 'auth_required');
    assert.ok(none.body.request_id);
    assert.equal(none.headers.get('x-request-id'), none.body.request_id, 'the header and the body name the same request');
    for (const key of [publishableA, 'eyJhbGciOiJIUzI1NiJ9.eyJ0ZW5hbnRfaWQiOiJ0ZW5hbnQtYSJ9.sig', 'sk_wrong', `${keyA}x`]) {
      const response = await request('GET', '/api/v1/admin/documents', key);
      assert.equal(response.status, 401, key);
      assert.equal(response.body.code, 'invalid_api_key', key);
    }
    const basic = await request('GET', '/api/v1/admin/documents', null, { authorization: `Basic ${keyA}` });
    assert.equal(basic.body.code, 'invalid_api_key');
    const ok = await request('GET', '/api/v1/admin/documents', keyA);
    assert.equal(ok.status, 200);
    assert.match(String(ok.headers.get('content-type')), /^application\/json/);
  });

  test('no CORS approval for the admin API, answers and preflights alike, from an origin its tenant allows', async () => {
    const origin = { origin: ALLOWED_TEST_ORIGIN };
    // The same origin is approved outside the admin API: the absence below is not an unknown origin.
    const chatPreflight = await request('OPTIONS', '/api/v1/chat', null, { ...origin, 'access-control-request-method': 'POST' });
    assert.equal(chatPreflight.status, 204);
    assert.equal(chatPreflight.headers.get('access-control-allow-origin'), ALLOWED_TEST_ORIGIN);
    assert.ok(chatPreflight.headers.get('access-control-allow-methods'));

    const responses: Array<[string, ApiResponse]> = [
      ['GET with the secret key', await request('GET', '/api/v1/admin/documents', keyA, origin)],
      ['GET without a key', await request('GET', '/api/v1/admin/documents', null, origin)],
      ['search', await request('GET', '/api/v1/admin/search?q=x', keyA, origin)],
      // Refused by validation, so the probe stores nothing for the tests below.
      ['POST', await api(tp.url, 'POST', '/api/v1/admin/documents', { token: keyA, origin: ALLOWED_TEST_ORIGIN, body: { content: 'cors probe', format: 'docx' } })],
      [
        'preflight',
        await request('OPTIONS', '/api/v1/admin/documents', null, { ...origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' }),
      ],
      ['preflight, other case', await request('OPTIONS', '/API/V1/Admin/reindex', null, { ...origin, 'access-control-request-method': 'POST' })],
    ];
    assert.equal(responses[0]![1].status, 200);
    assert.equal(responses[1]![1].status, 401);
    assert.equal(responses[3]![1].status, 422);
    for (const [what, response] of responses) {
      for (const header of ['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-methods', 'access-control-allow-headers']) {
        assert.equal(response.headers.get(header), null, `${what}: ${header}`);
      }
      assert.match(String(response.headers.get('vary')), /Origin/, `${what}: caches keep answers per Origin`);
    }
  });

  test('add, replace, list, get, search and delete a document', async () => {
    const created = await postDocument(keyA, { title: 'Shipping', format: 'markdown', external_id: 'shipping', content: '# Shipping\n\n## Times\n\nOrders ship within 2 business days.' });
    assert.equal(created.status, 201, created.text);
    const document = created.body;
    assert.equal(document.title, 'Shipping');
    assert.equal(document.external_id, 'shipping');
    assert.equal(document.format, 'markdown');
    assert.equal(document.chunk_count, 1);
    assert.equal(document.changed, true);

    const same = await postDocument(keyA, { title: 'Shipping', format: 'markdown', external_id: 'shipping', content: '# Shipping\n\n## Times\n\nOrders ship within 2 business days.' });
    assert.equal(same.status, 200);
    assert.equal(same.body.changed, false);
    assert.equal(same.body.id, document.id);

    const replaced = await postDocument(keyA, { title: 'Shipping', format: 'markdown', external_id: 'shipping', content: '# Shipping\n\n## Times\n\nOrders ship within 3 business days.' });
    assert.equal(replaced.status, 201);
    assert.equal(replaced.body.id, document.id);

    const search = await request('GET', '/api/v1/admin/search?q=how%20long%20does%20shipping%20take', keyA);
    assert.equal(search.status, 200);
    const items = search.body.items;
    assert.equal(items.length, 1);
    assert.equal(items[0].document_id, document.id);
    assert.equal(items[0].heading, 'Times');
    assert.match(items[0].text, /3 business days/);
    assert.equal(typeof items[0].score, 'number');

    const html = await postDocument(keyA, { format: 'html', url: 'https://a.test/returns', content: '<title>Returns</title><nav>NAVTEXT</nav><main><h1>Returns</h1><p>Returns are free for 30 days.</p></main>' });
    assert.equal(html.status, 201);
    assert.equal(html.body.title, 'Returns');
    assert.equal(html.body.external_id, 'https://a.test/returns', 'the URL is the default external id');

    const pdf = await postDocument(keyA, { format: 'pdf', title: 'Warranty', content: Buffer.from(makeTestPdf([['Warranty lasts two years.']])).toString('base64') });
    assert.equal(pdf.status, 201, pdf.text);

    const list = await request('GET', '/api/v1/admin/documents?limit=2', keyA);
    assert.equal(list.body.total, 3);
    assert.equal(list.body.items.length, 2);
    const page2 = await request('GET', '/api/v1/admin/documents?limit=2&offset=2', keyA);
    assert.equal(page2.body.items.length, 1);

    const one = await request('GET', `/api/v1/admin/documents/${html.body.id}`, keyA);
    assert.equal(one.status, 200);
    assert.equal(one.body.content, '# Returns\n\nReturns are free for 30 days.');

    const deleted = await request('DELETE', `/api/v1/admin/documents/${document.id}`, keyA);
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '', 'a 204 has no body');
    const gone = await request('GET', `/api/v1/admin/documents/${document.id}`, keyA);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.code, 'document_not_found');
    const afterDelete = await request('GET', '/api/v1/admin/search?q=shipping', keyA);
    assert.deepEqual(afterDelete.body.items, []);
    const again = await request('DELETE', `/api/v1/admin/documents/${document.id}`, keyA);
    assert.equal(again.status, 404);

    const reindex = await request('POST', '/api/v1/admin/reindex', keyA);
    assert.equal(reindex.status, 200);
    assert.deepEqual(reindex.body, { reindexed: 2, skipped: [] });
    const afterReindex = await request('GET', '/api/v1/admin/search?q=warranty', keyA);
    assert.equal(afterReindex.body.items.length, 1);
  });

  test('tenant B can neither see nor change tenant A documents', async () => {
    const created = await postDocument(keyA, { title: 'Secret plan', format: 'text', content: 'The launch date of project falcon is in May.' });
    const id = created.body.id;
    const list = await request('GET', '/api/v1/admin/documents', keyB);
    assert.equal(list.body.total, 0);
    const get = await request('GET', `/api/v1/admin/documents/${id}`, keyB);
    assert.equal(get.status, 404);
    const del = await request('DELETE', `/api/v1/admin/documents/${id}`, keyB);
    assert.equal(del.status, 404);
    const search = await request('GET', '/api/v1/admin/search?q=project%20falcon%20launch', keyB);
    assert.deepEqual(search.body.items, []);
    const reindex = await request('POST', '/api/v1/admin/reindex', keyB);
    assert.deepEqual(reindex.body, { reindexed: 0, skipped: [] });
    // Tenant B writing the same external id creates its own document.
    const same = await postDocument(keyB, { title: 'Mine', format: 'text', external_id: 'x', content: 'B content' });
    assert.equal(same.status, 201);
    assert.ok(await tp.platform.services.store.documents.get('tenant-a', id), 'A still has its document');
    const stillA = await request('GET', '/api/v1/admin/search?q=project%20falcon', keyA);
    assert.equal(stillA.body.items.length, 1);
  });

  test('bad input gets stable error codes, never a 500', async () => {
    const missing = await postDocument(keyA, { format: 'markdown' });
    assert.equal(missing.status, 422);
    assert.equal(missing.body.code, 'validation_error');
    assert.deepEqual(missing.body.detail[0].loc, ['body', 'content']);
    const badFormat = await postDocument(keyA, { content: 'x', format: 'docx' });
    assert.equal(badFormat.status, 422);
    const badTypes = await postDocument(keyA, { content: 42, title: ['x'], url: 'ftp://x' });
    assert.equal(badTypes.status, 422);
    assert.equal(badTypes.body.detail.length, 3);
    const empty = await postDocument(keyA, { content: '<script>only()</script>', format: 'html' });
    assert.equal(empty.status, 422);
    const badPdf = await postDocument(keyA, { content: 'bm90IGEgcGRm', format: 'pdf' });
    assert.equal(badPdf.status, 422);
    const json = await api(tp.url, 'POST', '/api/v1/admin/documents', { token: keyA, rawBody: '{"content":', contentType: 'application/json' });
    assert.equal(json.status, 400);
    assert.equal(json.body.code, 'invalid_json');
    // Just over the limit: the upload is refused as a whole, with the stable code.
    const big = await postDocument(keyA, { content: 'x'.repeat(MAX_DOCUMENT_BYTES) });
    assert.equal(big.status, 413);
    assert.equal(big.body.code, 'payload_too_large');
    const noQuery = await request('GET', '/api/v1/admin/search', keyA);
    assert.equal(noQuery.status, 422);
    const badLimit = await request('GET', '/api/v1/admin/documents?limit=abc', keyA);
    assert.equal(badLimit.status, 422);
    const syntax = await request('GET', `/api/v1/admin/search?q=${encodeURIComponent('"NEAR( * OR -x ^title:')}`, keyA);
    assert.equal(syntax.status, 200, 'search syntax in a question is just text');
  });
});
