import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crawlSite, type CrawlSiteOptions } from '../../src/knowledge/crawl-site.ts';
import type { KnowledgeIndex } from '../../src/store/knowledge-index.ts';
import { parseRobotsTxt } from '../../src/knowledge/robots-txt.ts';
import type { Store } from '../../src/store/store.ts';
import { testDatabaseTargets, type TestDatabase } from '@miptech/testing/test-databases.ts';
import { makeTestPdf } from './make-test-pdf.ts';

interface Page {
  status?: number;
  type?: string;
  body?: string | Uint8Array;
  /** Never answer (to test timeouts). */
  hang?: boolean;
}

/** A small fake website on 127.0.0.1 whose pages a test can change between crawls. */
class FakeSite {
  readonly pages = new Map<string, Page>();
  readonly requests: string[] = [];
  private server: Server | null = null;
  origin = '';

  async start(): Promise<void> {
    this.server = createServer((request: IncomingMessage, response: ServerResponse) => {
      const path = request.url ?? '/';
      this.requests.push(path);
      const page = this.pages.get(path);
      if (page?.hang) return;
      if (!page) {
        response.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      response.writeHead(page.status ?? 200, { 'content-type': page.type ?? 'text/html; charset=utf-8' }).end(page.body ?? '');
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server?.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  html(path: string, title: string, body: string, links: string[] = []): void {
    const nav = `<header><nav>${links.map((link) => `<a href="${link}">NAVLINK ${link}</a>`).join(' ')}</nav></header>`;
    this.pages.set(path, {
      body: `<!doctype html><html><head><title>${title} | Acme</title></head><body>${nav}<main><h1>${title}</h1>${body}</main><footer>FOOTER © Acme</footer></body></html>`,
    });
  }
}

const [sqlite] = testDatabaseTargets();

describe('crawling a website into the knowledge base', () => {
  let database: TestDatabase;
  let store: Store;
  let knowledge: KnowledgeIndex;
  let site: FakeSite;
  let elsewhere: FakeSite;
  let tenantCounter = 0;
  let tenantId = '';

  before(async () => {
    assert.ok(sqlite);
    database = await sqlite.create();
    ({ store, knowledge } = await database.open());
    elsewhere = new FakeSite();
    await elsewhere.start();
    elsewhere.html('/', 'Other site', '<p>Other content.</p>');
  });
  after(async () => {
    await elsewhere?.stop();
    await database?.dispose();
  });
  beforeEach(async () => {
    site = new FakeSite();
    await site.start();
    tenantId = `crawl-${++tenantCounter}`;
    await store.tenants.create({ id: tenantId });
  });

  const crawl = (extra: Partial<CrawlSiteOptions> = {}) =>
    crawlSite({ store, knowledge, tenantId, startUrl: `${site.origin}/`, requestTimeoutMs: 2_000, ...extra });
  const externalIds = async () =>
    (await store.documents.list(tenantId, { limit: 100, offset: 0 })).items.map((document) => document.externalId).sort();

  test('follows the sitemap, respects robots.txt for our agent, keeps only page content', async (t) => {
    t.after(() => site.stop());
    site.pages.set('/robots.txt', {
      type: 'text/plain',
      body: `User-agent: *\nDisallow: /\n\nUser-agent: MIPTechBot\nDisallow: /private/\nAllow: /private/open\n\nSitemap: ${site.origin}/sitemap_index.xml\n`,
    });
    site.pages.set('/sitemap_index.xml', {
      type: 'application/xml',
      body: `<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>${site.origin}/sitemap-pages.xml</loc></sitemap></sitemapindex>`,
    });
    site.pages.set('/sitemap-pages.xml', {
      type: 'application/xml',
      body: `<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
        ${['/', '/pricing', '/about', '/private/secret', '/private/open', '/guide.md', '/manual.pdf', '/logo.png', '/hidden'].map((path) => `<url><loc>${site.origin}${path}</loc></url>`).join('')}
        <url><loc>${elsewhere.origin}/</loc></url></urlset>`,
    });
    site.html('/', 'Home', '<p>Welcome to Acme, makers of anvils.</p>', ['/pricing', '/about', `${elsewhere.origin}/`]);
    site.html('/pricing', 'Pricing', '<p>The basic anvil costs 99 euros.</p>', ['/']);
    site.html('/about', 'About', '<p>Acme was founded in 1949.</p>', ['/']);
    site.html('/private/secret', 'Secret', '<p>Do not index me.</p>');
    site.html('/private/open', 'Open', '<p>This private page is explicitly allowed.</p>');
    site.pages.set('/guide.md', { type: 'text/markdown', body: '# Anvil guide\n\nKeep the anvil dry.' });
    site.pages.set('/manual.pdf', { type: 'application/pdf', body: makeTestPdf([['Anvil manual: lift with care.']], 'Anvil manual') });
    site.pages.set('/hidden', { body: '<html><head><meta name="robots" content="noindex"></head><body><p>Hidden page.</p></body></html>' });

    const result = await crawl();
    assert.equal(result.source, 'sitemap');
    assert.equal(result.indexed, 6, JSON.stringify(result));
    assert.deepEqual(await externalIds(), ['/', '/about', '/guide.md', '/manual.pdf', '/pricing', '/private/open'].map((path) => `${site.origin}${path}`).sort());
    assert.ok(!site.requests.includes('/private/secret'), 'disallowed page never fetched');
    assert.ok(!site.requests.includes('/logo.png'), 'images are not pages');
    assert.equal(elsewhere.requests.length, 0, 'other sites are never fetched');
    assert.ok(result.skipped.some((skip) => skip.url.endsWith('/hidden') && skip.reason === 'noindex'));

    const [pricing] = await knowledge.search(tenantId, 'how much does the basic anvil cost');
    assert.equal(pricing?.title, 'Pricing');
    assert.equal(pricing?.url, `${site.origin}/pricing`);
    assert.doesNotMatch(pricing?.text ?? '', /NAVLINK|FOOTER/);
    assert.equal((await knowledge.search(tenantId, 'lift with care'))[0]?.title, 'Anvil manual');
  });

  test('re-crawling updates changed pages, keeps unchanged ones and removes vanished ones', async (t) => {
    t.after(() => site.stop());
    const sitemap = (paths: string[]) => ({
      type: 'application/xml',
      body: `<urlset>${paths.map((path) => `<url><loc>${site.origin}${path}</loc></url>`).join('')}</urlset>`,
    });
    site.pages.set('/sitemap.xml', sitemap(['/', '/pricing', '/about', '/team']));
    site.html('/', 'Home', '<p>Welcome.</p>');
    site.html('/pricing', 'Pricing', '<p>The basic anvil costs 99 euros.</p>');
    site.html('/about', 'About', '<p>Founded in 1949.</p>');
    site.html('/team', 'Team', '<p>Wile E. Coyote is our best customer.</p>');
    await store.documents.upsert(tenantId, { externalId: `${elsewhere.origin}/page`, title: 'Other site page', url: null, sourceType: 'html', contentHash: 'x', chunkCount: 0 });
    await store.documents.upsert(tenantId, { externalId: 'manual-upload', title: 'Manual', url: null, sourceType: 'text', contentHash: 'y', chunkCount: 0 });

    const first = await crawl();
    assert.equal(first.indexed, 4);

    site.html('/pricing', 'Pricing', '<p>The basic anvil now costs 109 euros.</p>');
    site.pages.delete('/about');
    site.pages.set('/sitemap.xml', sitemap(['/', '/pricing', '/team']));
    site.pages.set('/team', { status: 503, body: 'busy' });

    const second = await crawl();
    assert.deepEqual(
      { indexed: second.indexed, unchanged: second.unchanged, removed: second.removed },
      { indexed: 1, unchanged: 1, removed: 1 },
      JSON.stringify(second),
    );
    assert.ok(second.failed.some((failure) => failure.url.endsWith('/team')), 'a temporary failure is reported');
    assert.deepEqual(await externalIds(), [`${elsewhere.origin}/page`, `${site.origin}/`, `${site.origin}/pricing`, `${site.origin}/team`, 'manual-upload'].sort());
    const hits = await knowledge.search(tenantId, 'basic anvil costs');
    assert.equal(hits.length, 1);
    assert.match(hits[0]?.text ?? '', /109 euros/);
    assert.deepEqual(await knowledge.search(tenantId, 'founded 1949'), []);
  });

  test('without a sitemap it follows same-site links, up to the page limit', async (t) => {
    t.after(() => site.stop());
    site.pages.set('/robots.txt', { type: 'text/plain', body: 'User-agent: *\nDisallow: /admin\n' });
    for (let index = 0; index < 12; index += 1) {
      site.html(`/p${index}`, `Page ${index}`, `<p>Content of page number ${index}.</p>`, [`/p${index + 1}`, '/admin/panel', `${elsewhere.origin}/`, '#top', 'mailto:x@acme.test']);
    }
    site.html('/', 'Home', '<p>Start here.</p>', ['/p0', '/p0#section']);
    site.html('/admin/panel', 'Admin', '<p>No.</p>');

    const result = await crawl({ maxPages: 5 });
    assert.equal(result.source, 'links');
    assert.equal(result.fetched, 5);
    assert.equal(result.truncated, true);
    assert.ok(!site.requests.includes('/admin/panel'));
    assert.equal(elsewhere.requests.length, 0);
    assert.equal((await externalIds()).length, 5, 'home and p0-p3; the admin page (robots.txt) does not count');
    assert.equal(site.requests.filter((path) => path === '/p0').length, 1, 'a URL with a fragment is the same page');

    // A shorter crawl has not seen the whole site: it removes only what it found gone.
    const short = await crawl({ maxPages: 2 });
    assert.equal(short.truncated, true);
    assert.equal(short.removed, 0, JSON.stringify(short));
    site.pages.set('/p0', { body: '<meta name="robots" content="noindex"><a href="/p1">next</a>' });
    const shortAgain = await crawl({ maxPages: 2 });
    assert.equal(shortAgain.truncated, true);
    assert.equal(shortAgain.removed, 1, JSON.stringify(shortAgain));
    assert.equal((await externalIds()).length, 4);
  });

  test('a page that never answers times out; the rest of the site is still imported', async (t) => {
    t.after(() => site.stop());
    site.html('/', 'Home', '<p>Start.</p>', ['/slow', '/fast']);
    site.pages.set('/slow', { hang: true });
    site.html('/fast', 'Fast', '<p>Fast page.</p>');
    const result = await crawl({ requestTimeoutMs: 300 });
    assert.ok(result.failed.some((failure) => failure.url.endsWith('/slow') && failure.reason === 'timed out'), JSON.stringify(result.failed));
    assert.equal(result.indexed, 2);
  });

  test('an unreachable robots.txt (5xx) means nothing is crawled and nothing removed', async (t) => {
    t.after(() => site.stop());
    site.html('/', 'Home', '<p>Start.</p>');
    await crawl();
    assert.equal((await externalIds()).length, 1);
    site.pages.set('/robots.txt', { status: 500, body: 'oops' });
    const result = await crawl();
    assert.equal(result.indexed, 0);
    assert.equal(result.removed, 0);
    assert.equal((await externalIds()).length, 1);
    assert.ok(result.skipped.some((skip) => skip.reason === 'disallowed by robots.txt'));
  });
});

test('robots.txt: our group wins over *, longest rule wins, Allow wins ties, wildcards', () => {
  const robots = parseRobotsTxt(
    [
      'User-agent: *',
      'Disallow: /',
      '',
      'User-agent: googlebot',
      'User-agent: MIPTechBot/2.0',
      'Disallow: /private',
      'Allow: /private/open',
      'Disallow: /*.json$',
      'Disallow: /tmp*/cache',
      'Sitemap: https://acme.test/sitemap.xml',
    ].join('\n'),
    'MIPTechBot',
  );
  const allowed = (path: string) => robots.isAllowed(`https://acme.test${path}`);
  assert.equal(allowed('/'), true);
  assert.equal(allowed('/private'), false);
  assert.equal(allowed('/private/x'), false);
  assert.equal(allowed('/private/open/page'), true);
  assert.equal(allowed('/data.json'), false);
  assert.equal(allowed('/data.json?x=1'), true);
  assert.equal(allowed('/tmp123/cache/x'), false);
  assert.deepEqual(robots.sitemaps, ['https://acme.test/sitemap.xml']);
  const star = parseRobotsTxt('User-agent: *\nDisallow: /x\nDisallow:\n', 'MIPTechBot');
  assert.equal(star.isAllowed('https://a.test/x/y'), false);
  assert.equal(star.isAllowed('https://a.test/y'), true);
  assert.equal(parseRobotsTxt('', 'MIPTechBot').isAllowed('https://a.test/anything'), true);
});
