/**
 * The platform serves the widget and the demo pages with the right headers, over real HTTP to a
 * listening platform. The script's bytes and its Host-dependent pages are read with node:http:
 * fetch would decompress gzip (hiding the bytes on the wire) and does not let a test choose Host.
 * The pages a browser loads are read with fetch, with the headers fetch sends by itself.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startWidgetPlatform, type TestPlatform } from '@miptech/testing/widget-platform.ts';

const SCRIPT_CACHE_CONTROL = 'public, max-age=300, stale-while-revalidate=86400';

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as it came off the socket (not decompressed). */
  body: Buffer;
}

/** One request with exactly the given headers (node:http adds only Host, unless given, and Connection). */
function rawRequest(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, timeout: 10_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

let tp: TestPlatform;
before(async () => {
  tp = await startWidgetPlatform();
});
after(async () => {
  await tp?.close();
});

test('/widget.js: JavaScript, short cache, ETag revalidation, gzip when accepted', async () => {
  const url = `${tp.url}/widget.js`;
  const plain = await rawRequest(url);
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(plain.headers['cache-control'], SCRIPT_CACHE_CONTROL);
  assert.equal(plain.headers['x-content-type-options'], 'nosniff');
  assert.equal(plain.headers['cross-origin-resource-policy'], 'cross-origin');
  assert.match(String(plain.headers.vary), /Accept-Encoding/);
  assert.equal(plain.headers['content-encoding'], undefined);
  const text = plain.body.toString('utf8');
  assert.ok(text.includes('MIPTechChat'));
  // A known length, not chunked: caches and CDNs store it whole, browsers show progress.
  assert.equal(plain.headers['content-length'], String(plain.body.length));
  assert.equal(plain.headers['transfer-encoding'], undefined);
  assert.equal(plain.headers.connection, 'keep-alive');

  const etag = String(plain.headers.etag);
  assert.match(etag, /^"[\w-]+"$/, 'a strong ETag');
  const revalidated = await rawRequest(url, { 'if-none-match': etag });
  assert.equal(revalidated.status, 304);
  assert.equal(revalidated.body.length, 0);
  // A 304 repeats the validators and caching rules (RFC 9110 §15.4.5), so the cache refreshes its copy.
  assert.equal(revalidated.headers.etag, etag);
  assert.equal(revalidated.headers['cache-control'], SCRIPT_CACHE_CONTROL);
  assert.equal(revalidated.headers['content-encoding'], undefined);
  const weak = await rawRequest(url, { 'if-none-match': `"other", W/${etag}` });
  assert.equal(weak.status, 304, 'a weak form of the same tag in a list also matches');
  const stale = await rawRequest(url, { 'if-none-match': '"not-the-etag"' });
  assert.equal(stale.status, 200);
  assert.equal(stale.body.length, plain.body.length);

  const gzipped = await rawRequest(url, { 'accept-encoding': 'gzip, br' });
  assert.equal(gzipped.status, 200);
  assert.equal(gzipped.headers['content-encoding'], 'gzip');
  assert.equal(gunzipSync(gzipped.body).toString('utf8'), text);
  assert.ok(gzipped.body.length <= 35 * 1024, 'within the size budget');
  assert.ok(gzipped.body.length < plain.body.length);
  assert.equal(gzipped.headers['content-length'], String(gzipped.body.length), 'the length on the wire is the compressed one');
  assert.equal(gzipped.headers.etag, etag);
  assert.match(String(gzipped.headers.vary), /Accept-Encoding/);

  const head = await rawRequest(url, { 'accept-encoding': 'gzip' }, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body.length, 0);
  assert.equal(head.headers['content-length'], String(gzipped.body.length), 'HEAD announces what GET would send');
  assert.equal(head.headers['content-encoding'], 'gzip');
});

test('/widget.js can be embedded by any site: no CORS or cookies needed, the same bytes for every Origin', async () => {
  const url = `${tp.url}/widget.js`;
  const own = await rawRequest(url);
  const foreign = await rawRequest(url, { origin: 'https://shop.example' });
  assert.equal(foreign.status, 200);
  assert.equal(foreign.headers['cross-origin-resource-policy'], 'cross-origin');
  assert.equal(foreign.headers['access-control-allow-origin'], undefined, 'a classic <script> needs no CORS; an unknown origin gets none');
  assert.equal(foreign.headers['set-cookie'], undefined);
  assert.ok(foreign.body.equals(own.body));
});

test('/sdk/client.js: the client SDK as one self-contained ES module, cached like /widget.js', async () => {
  const url = `${tp.url}/sdk/client.js`;
  const plain = await rawRequest(url, { origin: 'https://shop.example' });
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(plain.headers['cache-control'], SCRIPT_CACHE_CONTROL);
  assert.equal(plain.headers['x-content-type-options'], 'nosniff');
  assert.equal(plain.headers['cross-origin-resource-policy'], 'cross-origin');
  const etag = String(plain.headers.etag);
  assert.match(etag, /^"[\w-]+"$/);
  assert.equal((await rawRequest(url, { 'if-none-match': etag })).status, 304);
  const gzipped = await rawRequest(url, { 'accept-encoding': 'gzip' });
  assert.equal(gzipped.headers['content-encoding'], 'gzip');
  assert.ok(gunzipSync(gzipped.body).equals(plain.body));

  // Self-contained: no import of another module (a page importing it by URL has no resolver), so
  // Node can load it from a lone file and finds the client's API.
  const text = plain.body.toString('utf8');
  assert.doesNotMatch(text, /\bimport\s*[\w{*"']|\bimport\(|\bfrom\s*["']/);
  const dir = mkdtempSync(join(tmpdir(), 'miptech-sdk-module-'));
  try {
    const file = join(dir, 'client.mjs');
    writeFileSync(file, plain.body);
    const sdk = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    assert.equal(typeof sdk.createChatClient, 'function');
    assert.equal(typeof sdk.ChatApiError, 'function');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('/ and /demo/react embed the default tenant with its publishable key, HTML-escaped, not cached', async () => {
  const tenant = (await tp.platform.services.store.tenants.get(tp.tenantId))!;
  const page = await rawRequest(`${tp.url}/`, { host: 'example.test:8000' });
  assert.equal(page.status, 200);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.equal(page.headers['cache-control'], 'no-cache');
  assert.equal(page.headers['content-length'], String(page.body.length));
  const html = page.body.toString('utf8');
  assert.ok(html.includes(`<script src="/widget.js" data-tenant="${tenant.id}" data-key="${tenant.publishableKey}" async></script>`));
  assert.ok(html.includes('http://example.test:8000/widget.js'), 'the snippet shows the address the page was reached at');
  assert.ok(!html.includes('{{'), 'every placeholder filled');

  const hostile = await rawRequest(`${tp.url}/`, { host: 'x"><script>alert(1)</script>' });
  assert.equal(hostile.status, 200);
  assert.ok(!hostile.body.toString('utf8').includes('<script>alert(1)</script>'), 'a hostile Host header is escaped');

  // What a browser gets: fetch sends its own Accept-Encoding and decompresses.
  const react = await fetch(`${tp.url}/demo/react`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(react.status, 200);
  assert.equal(react.headers.get('cache-control'), 'no-cache');
  const reactHtml = await react.text();
  assert.ok(reactHtml.includes(`data-tenant="${tenant.id}"`));
  assert.ok(reactHtml.includes('<script src="/demo-react.js"></script>'));
  const bundle = await fetch(`${tp.url}/demo-react.js`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(bundle.status, 200);
  assert.equal(bundle.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(bundle.headers.get('content-encoding'), 'gzip', 'fetch accepts gzip, so the bundle travels compressed');
  assert.ok((await bundle.text()).length > 0);
});
