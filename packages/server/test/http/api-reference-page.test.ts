/** /docs/api: the reference page rendered from the OpenAPI document lists every operation, escaped, without scripts. */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml, renderApiReferencePage } from '../../src/http/api-reference-page.ts';
import { api } from '@miptech/testing/api-client.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';

let tp: TestPlatform;

before(async () => {
  tp = await startTestPlatform({ env: { METRICS_TOKEN: 'metrics-token-for-the-page-test' } });
});
after(() => tp.close());

test('/docs/api renders every operation of the document, grouped by tag, with its schemas', async () => {
  const res = await api(tp.url, 'GET', '/docs/api');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  const page = res.text;
  const document = (await api(tp.url, 'GET', '/api/v1/openapi.json')).body as { paths: Record<string, Record<string, { summary?: string }>> };
  let operations = 0;
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      operations += 1;
      const heading = `<span class="method method-${method}">${method.toUpperCase()}</span> <code class="path">${escapeHtml(path)}</code>`;
      assert.ok(page.includes(heading), `${method} ${path} is on the page`);
      if (operation.summary) assert.ok(page.includes(escapeHtml(operation.summary)), `summary of ${method} ${path}`);
    }
  }
  assert.ok(operations >= 30, `${operations} operations`);
  for (const tag of ['chat', 'auth', 'admin', 'health', 'operations']) assert.ok(page.includes(`id="tag-${tag}"`), tag);
  // Parameters, bodies and shared schemas are shown.
  assert.ok(page.includes('<code class="field">session_id</code>'));
  assert.ok(page.includes('id="schema-ErrorBody"'));
  assert.ok(page.includes('<code>x-tenant-id</code>'));
  assert.ok(page.includes('prefers-color-scheme: dark'));
  assert.ok(!/<script/i.test(page), 'no script');
  assert.ok(!/(src|href)="https?:/i.test(page), 'no external resource');
});

test('text from the document is escaped', () => {
  const page = renderApiReferencePage(
    {
      info: { title: 'T <b>', version: '1' },
      tags: [{ name: 'x' }],
      paths: { '/a/{id}': { get: { tags: ['x'], summary: '<script>alert(1)</script>', parameters: [{ name: '"><img>', in: 'query', schema: { type: 'string', pattern: '^<a>$' } }], responses: {} } } },
    },
    '/doc.json',
  );
  assert.ok(!page.includes('<script>alert'), 'summary escaped');
  assert.ok(page.includes('&#60;script&#62;alert(1)&#60;/script&#62;'));
  assert.ok(!page.includes('"><img>'), 'parameter name escaped');
  assert.ok(!page.includes('<b>'), 'title escaped');
});
