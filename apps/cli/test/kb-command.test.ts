import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../src/main.ts';
import { cliTestDatabase, type CliTestDatabase } from './support/cli-test-database.ts';

let dir: string;
let env: Record<string, string>;
let database: CliTestDatabase;

async function cli(...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { env, stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) });
  return { code, stdout, stderr };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'miptech-kb-cli-'));
  database = cliTestDatabase(dir);
  env = { ...database.env, DATA_DIR: dir, LOG_LEVEL: 'silent' };
  // The database as a first start leaves it (the other commands do not create one).
  assert.equal((await cli('migrate')).code, 0);
  assert.equal((await cli('tenant', 'create', 'acme')).code, 0);
  assert.equal((await cli('tenant', 'create', 'other')).code, 0);
});
after(async () => {
  await database?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test('kb add, list, search, rm and reindex work on the database', async () => {
  const markdown = join(dir, 'shipping.md');
  writeFileSync(markdown, '# Shipping\n\n## Delivery times\n\nOrders ship within 2 business days.');
  const html = join(dir, 'returns.html');
  writeFileSync(html, '<html><head><title>Returns</title></head><body><nav>MENU</nav><main><p>Returns are free for 30 days.</p></main></body></html>');

  const added = await cli('kb', 'add', '--tenant', 'acme', markdown, html);
  assert.equal(added.code, 0, added.stderr);
  assert.match(added.stdout, /^indexed +doc_\S+ +Shipping \(1 chunks\)$/m);
  assert.match(added.stdout, /^indexed +doc_\S+ +Returns/m);
  const again = await cli('kb', 'add', '--tenant', 'acme', markdown);
  assert.match(again.stdout, /^unchanged/);

  const list = await cli('kb', 'list', '--tenant', 'acme', '--json');
  const { items, total } = JSON.parse(list.stdout);
  assert.equal(total, 2);
  assert.ok(items.every((item: { tenantId: string }) => item.tenantId === 'acme'));
  const table = await cli('kb', 'list', '--tenant', 'acme');
  assert.match(table.stdout, /^ID +FORMAT +CHUNKS +TITLE +EXTERNAL ID$/m);

  const search = await cli('kb', 'search', '--tenant', 'acme', 'how', 'long', 'does', 'shipping', 'take?');
  assert.equal(search.code, 0);
  assert.match(search.stdout, /^1\. \[\d+\.\d+\] Shipping > Delivery times/m);
  assert.match(search.stdout, /2 business days/);
  const isolated = await cli('kb', 'search', '--tenant', 'other', 'shipping');
  assert.equal(isolated.stdout, '');
  assert.match(isolated.stderr, /would say it does not know/);

  const shippingId = items.find((item: { title: string }) => item.title === 'Shipping').id;
  const wrongTenant = await cli('kb', 'rm', '--tenant', 'other', shippingId);
  assert.equal(wrongTenant.code, 1, 'another tenant cannot remove it');
  const removed = await cli('kb', 'rm', '--tenant', 'acme', shippingId);
  assert.equal(removed.code, 0);
  assert.match(removed.stdout, /^removed/);
  assert.equal((await cli('kb', 'search', '--tenant', 'acme', 'shipping')).stdout, '');

  const reindex = await cli('kb', 'reindex', '--tenant', 'acme');
  assert.equal(reindex.stdout, '1 document(s) re-indexed\n');
});

test('kb crawl imports a local site', async () => {
  const server: Server = createServer((request, response) => {
    const pages: Record<string, string> = {
      '/': '<html><head><title>Home</title></head><body><main><p>Welcome to the anvil shop.</p><a href="/faq">FAQ</a></main></body></html>',
      '/faq': '<html><head><title>FAQ</title></head><body><main><p>Anvils are shipped in wooden crates.</p></main></body></html>',
    };
    const body = pages[request.url ?? ''];
    if (body) response.writeHead(200, { 'content-type': 'text/html' }).end(body);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const result = await cli('kb', 'crawl', '--tenant', 'acme', '--max-pages', '10', `${origin}/`);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^2 indexed, 0 unchanged, 0 removed/);
    assert.match(result.stderr, /^indexed +http:\/\/127\.0\.0\.1:\d+\/faq$/m);
    const search = await cli('kb', 'search', '--tenant', 'acme', 'how are anvils shipped');
    assert.match(search.stdout, /FAQ/);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('kb input errors: usage (exit 2), unknown tenant and files (exit 1)', async () => {
  assert.equal((await cli('kb', 'list')).code, 2);
  assert.equal((await cli('kb', 'frobnicate', '--tenant', 'acme')).code, 2);
  assert.equal((await cli('kb', 'add', '--tenant', 'acme')).code, 2);
  assert.equal((await cli('kb', 'add', '--tenant', 'acme', '--format', 'docx', 'x.docx')).code, 2);
  assert.equal((await cli('kb', 'crawl', '--tenant', 'acme', 'ftp://x')).code, 2);
  const unknownTenant = await cli('kb', 'list', '--tenant', 'nope');
  assert.equal(unknownTenant.code, 1);
  assert.match(unknownTenant.stderr, /tenant "nope" does not exist/);
  const missingFile = await cli('kb', 'add', '--tenant', 'acme', join(dir, 'missing.md'));
  assert.equal(missingFile.code, 1);
  const unknownFormat = await cli('kb', 'add', '--tenant', 'acme', join(dir, 'file.xyz'));
  assert.equal(unknownFormat.code, 1);
  assert.match(unknownFormat.stderr, /unknown format/);
});
