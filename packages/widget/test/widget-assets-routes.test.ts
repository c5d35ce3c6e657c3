/** The platform serves the widget and the demo pages with the right headers (through inject()). */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import { startWidgetPlatform, type TestPlatform } from './support/widget-platform.ts';

let tp: TestPlatform;
before(async () => {
  tp = await startWidgetPlatform();
});
after(async () => {
  await tp?.close();
});

test('/widget.js: JavaScript, short cache, ETag revalidation, gzip when accepted', async () => {
  const plain = await tp.platform.app.inject({ method: 'GET', url: '/widget.js' });
  assert.equal(plain.statusCode, 200);
  assert.equal(plain.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(plain.headers['cache-control'], 'public, max-age=300, stale-while-revalidate=86400');
  assert.equal(plain.headers['x-content-type-options'], 'nosniff');
  assert.equal(plain.headers['cross-origin-resource-policy'], 'cross-origin');
  assert.match(String(plain.headers.vary), /Accept-Encoding/);
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.ok(plain.body.includes('MIPTechChat'));

  const etag = String(plain.headers.etag);
  const revalidated = await tp.platform.app.inject({ method: 'GET', url: '/widget.js', headers: { 'if-none-match': etag } });
  assert.equal(revalidated.statusCode, 304);
  assert.equal(revalidated.body, '');

  const gzipped = await tp.platform.app.inject({ method: 'GET', url: '/widget.js', headers: { 'accept-encoding': 'gzip, br' } });
  assert.equal(gzipped.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(gzipped.rawPayload).toString('utf8'), plain.body);
  assert.ok(gzipped.rawPayload.length <= 35 * 1024, 'within the size budget');
});

test('/ and /demo/react embed the default tenant with its publishable key, HTML-escaped, not cached', async () => {
  const tenant = (await tp.platform.services.store.tenants.get(tp.tenantId))!;
  const page = await tp.platform.app.inject({ method: 'GET', url: '/', headers: { host: 'example.test:8000' } });
  assert.equal(page.statusCode, 200);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(page.headers['cache-control'], 'no-cache');
  assert.ok(page.body.includes(`<script src="/widget.js" data-tenant="${tenant.id}" data-key="${tenant.publishableKey}" async></script>`));
  assert.ok(page.body.includes('http://example.test:8000/widget.js'), 'the snippet shows the address the page was reached at');
  assert.ok(!page.body.includes('{{'), 'every placeholder filled');

  const hostile = await tp.platform.app.inject({ method: 'GET', url: '/', headers: { host: 'x"><script>alert(1)</script>' } });
  assert.ok(!hostile.body.includes('<script>alert(1)</script>'), 'a hostile Host header is escaped');

  const react = await tp.platform.app.inject({ method: 'GET', url: '/demo/react' });
  assert.equal(react.statusCode, 200);
  assert.ok(react.body.includes(`data-tenant="${tenant.id}"`));
  assert.ok(react.body.includes('<script src="/demo-react.js"></script>'));
  const bundle = await tp.platform.app.inject({ method: 'GET', url: '/demo-react.js' });
  assert.equal(bundle.statusCode, 200);
  assert.equal(bundle.headers['content-type'], 'text/javascript; charset=utf-8');
});
