/**
 * Imports a website into a tenant's knowledge base. Pages come from the site's sitemaps (the
 * ones robots.txt names, else /sitemap.xml), or — without a sitemap — from following the links
 * between pages. The crawl stays on the site (same origin, under the start path), honours
 * robots.txt and `noindex`, bounds every request in time and size, and stops at a page limit.
 *
 * Re-crawling is an update: unchanged pages are left alone (same content hash), changed pages
 * are re-indexed, and documents of pages that disappeared from the site are removed.
 */
import { gunzipSync } from 'node:zlib';
import type { DocumentSourceType } from '../store/store.ts';
import { ingestParsedDocument } from './ingest-document.ts';
import type { KnowledgeDeps } from './knowledge-deps.ts';
import { listAllDocuments } from './list-all-documents.ts';
import { normalizeText } from './normalize-text.ts';
import { formatFromName, parseDocumentSource } from './parse-document.ts';
import { parseHtml } from './parse-html.ts';
import { parseSitemap } from './parse-sitemap.ts';
import type { ParsedDocument } from './parsed-document.ts';
import { removeDocument } from './remove-document.ts';
import { ALLOW_ALL, DISALLOW_ALL, parseRobotsTxt, type RobotsRules } from './robots-txt.ts';

/** Our robots.txt product token. */
export const CRAWLER_AGENT = 'MIPTechBot';
const USER_AGENT = `${CRAWLER_AGENT}/0.1 (+https://github.com/miptech/ai-platform)`;

/** Links to these are never pages. */
const NOT_A_PAGE = /\.(png|jpe?g|gif|webp|svg|ico|bmp|css|js|mjs|json|xml|zip|gz|tgz|rar|7z|mp3|mp4|webm|mov|avi|woff2?|ttf|eot|exe|dmg|iso|csv|xlsx?|docx?|pptx?)$/i;
const MAX_SITEMAPS = 20;

export interface CrawlSiteOptions extends KnowledgeDeps {
  tenantId: string;
  /** Where to start; the crawl stays under this origin and path. */
  startUrl: string;
  /** Most pages fetched. @default 100 */
  maxPages?: number;
  /** Timeout of each request, in milliseconds. @default 10000 */
  requestTimeoutMs?: number;
  /** Largest page body read. @default 5 MiB */
  maxPageBytes?: number;
  /** Pages fetched at the same time. @default 4 */
  concurrency?: number;
  /** Remove documents of this site's pages not seen in this crawl. @default true */
  removeMissing?: boolean;
  fetch?: typeof fetch;
  /** Cancels the whole crawl. */
  signal?: AbortSignal;
  /** Progress, one call per page handled. */
  onPage?: (event: CrawlPageEvent) => void;
}

export type CrawlPageStatus = 'indexed' | 'unchanged' | 'skipped' | 'failed';

export interface CrawlPageEvent {
  url: string;
  status: CrawlPageStatus;
  reason?: string;
}

export interface CrawlResult {
  /** Pages fetched (successfully or not). */
  fetched: number;
  indexed: number;
  unchanged: number;
  removed: number;
  skipped: Array<{ url: string; reason: string }>;
  failed: Array<{ url: string; reason: string }>;
  /** Whether pages were left out because of the page limit. */
  truncated: boolean;
  /** Where the page list came from. */
  source: 'sitemap' | 'links';
}

/** The crawl's scope: an origin and a path prefix. */
class SiteScope {
  readonly origin: string;
  private readonly pathPrefix: string;

  constructor(start: URL) {
    this.origin = start.origin;
    this.pathPrefix = start.pathname.endsWith('/') ? start.pathname : start.pathname.replace(/[^/]*$/, '');
  }

  /** The canonical form of a URL inside the scope, or null when it is outside. */
  normalize(raw: string, base?: string): string | null {
    let url: URL;
    try {
      url = new URL(raw, base);
    } catch {
      return null;
    }
    if (url.origin !== this.origin || !url.pathname.startsWith(this.pathPrefix)) return null;
    url.hash = '';
    return url.toString();
  }
}

interface Fetched {
  status: number;
  url: string;
  contentType: string;
  body: Uint8Array;
}

class PageTooLargeError extends Error {}

async function readLimited(response: Response, maxBytes: number): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    throw new PageTooLargeError(`larger than ${maxBytes} bytes`);
  }
  if (!response.body) return new Uint8Array();
  const reader = response.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new PageTooLargeError(`larger than ${maxBytes} bytes`);
    }
    parts.push(value);
  }
  return Buffer.concat(parts);
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return 'timed out';
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return cause ? `${error.message} (${cause})` : error.message;
  }
  return String(error);
}

/** Crawls `startUrl` into the tenant's knowledge base. */
export async function crawlSite(options: CrawlSiteOptions): Promise<CrawlResult> {
  const start = new URL(options.startUrl);
  if (start.protocol !== 'http:' && start.protocol !== 'https:') throw new TypeError(`not an http(s) URL: ${options.startUrl}`);
  const scope = new SiteScope(start);
  const maxPages = Math.max(1, options.maxPages ?? 100);
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const maxBytes = options.maxPageBytes ?? 5 * 1024 * 1024;
  const fetchImpl = options.fetch ?? fetch;
  const result: CrawlResult = { fetched: 0, indexed: 0, unchanged: 0, removed: 0, skipped: [], failed: [], truncated: false, source: 'links' };

  const get = async (url: string): Promise<Fetched> => {
    const signals = [AbortSignal.timeout(timeoutMs), ...(options.signal ? [options.signal] : [])];
    const response = await fetchImpl(url, {
      headers: { 'user-agent': USER_AGENT, accept: 'text/html,application/xhtml+xml,text/markdown,text/plain,application/pdf,application/xml;q=0.9,*/*;q=0.5' },
      redirect: 'follow',
      signal: AbortSignal.any(signals),
    });
    const body = response.ok ? await readLimited(response, maxBytes) : (await response.body?.cancel(), new Uint8Array());
    return { status: response.status, url: response.url || url, contentType: (response.headers.get('content-type') ?? '').toLowerCase(), body };
  };

  // robots.txt: absent (4xx) allows all; unreachable (5xx, network) forbids all (RFC 9309 §2.3.1).
  let robots: RobotsRules;
  try {
    const response = await get(`${scope.origin}/robots.txt`);
    if (response.status >= 200 && response.status < 300) robots = parseRobotsTxt(Buffer.from(response.body).toString('utf8'), CRAWLER_AGENT);
    else robots = response.status >= 500 ? DISALLOW_ALL : ALLOW_ALL;
  } catch (error) {
    if (options.signal?.aborted) throw error;
    robots = DISALLOW_ALL;
    result.failed.push({ url: `${scope.origin}/robots.txt`, reason: `robots.txt unreachable: ${describeError(error)}` });
  }

  // Sitemaps, breadth first, bounded in number.
  const sitemapQueue = robots.sitemaps.length > 0 ? [...robots.sitemaps] : [`${scope.origin}/sitemap.xml`];
  const sitemapSeen = new Set<string>();
  const sitemapPages: string[] = [];
  while (sitemapQueue.length > 0 && sitemapSeen.size < MAX_SITEMAPS) {
    const sitemapUrl = sitemapQueue.shift() ?? '';
    if (sitemapSeen.has(sitemapUrl)) continue;
    sitemapSeen.add(sitemapUrl);
    try {
      if (new URL(sitemapUrl).origin !== scope.origin) continue;
      const response = await get(sitemapUrl);
      if (response.status < 200 || response.status >= 300) continue;
      const gzipped = /\.gz$/i.test(new URL(response.url).pathname) || response.contentType.includes('gzip');
      const xml = Buffer.from(gzipped ? gunzipSync(response.body) : response.body).toString('utf8');
      const sitemap = parseSitemap(xml);
      sitemapQueue.push(...sitemap.sitemaps);
      sitemapPages.push(...sitemap.pages);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      result.failed.push({ url: sitemapUrl, reason: `sitemap: ${describeError(error)}` });
    }
  }

  /** Every in-scope URL the site still lists or links to: what a re-crawl keeps. */
  const seen = new Set<string>();
  const queue: string[] = [];
  const enqueue = (raw: string, base?: string) => {
    const url = scope.normalize(raw, base);
    if (!url || NOT_A_PAGE.test(new URL(url).pathname) || seen.has(url)) return;
    seen.add(url);
    queue.push(url);
  };
  enqueue(start.toString());
  const fromSitemap = sitemapPages.map((page) => scope.normalize(page)).filter((page): page is string => page !== null);
  if (fromSitemap.length > 0) {
    result.source = 'sitemap';
    for (const page of fromSitemap) enqueue(page);
  }
  const followLinks = result.source === 'links';

  /** URLs whose documents must stay even though they were not indexed now (temporary failures). */
  const keep = new Set<string>();
  const indexedUrls = new Set<string>();
  let fetchedSuccessfully = 0;

  const report = (url: string, status: CrawlPageStatus, reason?: string) => {
    if (status === 'skipped') result.skipped.push({ url, reason: reason ?? '' });
    if (status === 'failed') result.failed.push({ url, reason: reason ?? '' });
    options.onPage?.({ url, status, ...(reason ? { reason } : {}) });
  };

  const handle = async (url: string): Promise<void> => {
    let page: Fetched;
    try {
      page = await get(url);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      if (!(error instanceof PageTooLargeError)) keep.add(url);
      report(url, error instanceof PageTooLargeError ? 'skipped' : 'failed', describeError(error));
      return;
    } finally {
      result.fetched += 1;
    }
    if (page.status >= 500 || page.status === 429) {
      keep.add(url);
      report(url, 'failed', `HTTP ${page.status}`);
      return;
    }
    if (page.status < 200 || page.status >= 300) {
      report(url, 'skipped', `HTTP ${page.status}`);
      return;
    }
    const finalUrl = scope.normalize(page.url);
    if (!finalUrl) {
      report(url, 'skipped', `redirected off the site to ${page.url}`);
      return;
    }
    fetchedSuccessfully += 1;

    let parsed: ParsedDocument;
    let format: DocumentSourceType | null = null;
    const type = page.contentType.split(';')[0]?.trim() ?? '';
    if (type === 'text/html' || type === 'application/xhtml+xml') format = 'html';
    else if (type === 'text/markdown' || type === 'text/x-markdown') format = 'markdown';
    else if (type === 'application/pdf') format = 'pdf';
    else if (type === 'text/plain' || type === 'application/octet-stream' || type === '') format = formatFromName(new URL(finalUrl).pathname) ?? (type === 'text/plain' ? 'text' : null);
    if (!format) {
      report(url, 'skipped', `not a document (${type || 'no content type'})`);
      return;
    }
    try {
      if (format === 'html') {
        const html = parseHtml(Buffer.from(page.body).toString('utf8'), { url: finalUrl });
        if (!html.robots.nofollow && followLinks) for (const link of html.links) enqueue(link, finalUrl);
        if (html.robots.noindex) {
          report(url, 'skipped', 'noindex');
          return;
        }
        parsed = { ...html, url: scope.normalize(html.url ?? finalUrl) ?? finalUrl, text: normalizeText(html.text) };
        if (!parsed.title) parsed.title = new URL(finalUrl).pathname;
      } else {
        parsed = await parseDocumentSource({ format, content: page.body, url: finalUrl, fileName: new URL(finalUrl).pathname });
      }
    } catch (error) {
      report(url, 'skipped', describeError(error));
      return;
    }
    const documentUrl = parsed.url ?? finalUrl;
    if (!parsed.text.trim()) {
      report(url, 'skipped', 'no text');
      return;
    }
    if (indexedUrls.has(documentUrl)) {
      report(url, 'skipped', `same page as ${documentUrl}`);
      return;
    }
    indexedUrls.add(documentUrl);
    try {
      const { changed } = await ingestParsedDocument(options, options.tenantId, parsed, documentUrl);
      if (changed) result.indexed += 1;
      else result.unchanged += 1;
      report(url, changed ? 'indexed' : 'unchanged');
    } catch (error) {
      keep.add(documentUrl);
      report(url, 'failed', describeError(error));
    }
  };

  // A small worker pool over a queue that grows while links are discovered: an idle worker
  // waits while others may still add pages, and stops once nothing is queued or in flight.
  let handled = 0;
  let active = 0;
  const idle: Array<() => void> = [];
  const worker = async (): Promise<void> => {
    for (;;) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (handled >= maxPages) return;
      const url = queue.shift();
      if (url === undefined) {
        if (active === 0) return;
        await new Promise<void>((resolve) => idle.push(resolve));
        continue;
      }
      // Pages robots.txt forbids are not fetched, so they do not count against the page limit.
      if (!robots.isAllowed(url)) {
        report(url, 'skipped', 'disallowed by robots.txt');
        continue;
      }
      handled += 1;
      active += 1;
      try {
        await handle(url);
      } finally {
        active -= 1;
        for (const wake of idle.splice(0)) wake();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 4) }, worker));
  result.truncated = queue.length > 0;

  // Vanished pages: this site's documents that are neither listed, linked, nor kept after a
  // temporary failure. Skipped when nothing could be fetched (a site that is down has not vanished).
  // A link crawl cut short by the page limit has not seen the whole site: there, only pages
  // fetched and found gone (404, noindex, robots.txt…) are removed.
  if ((options.removeMissing ?? true) && fetchedSuccessfully > 0) {
    const sawWholeSite = result.source === 'sitemap' || !result.truncated;
    const gone = new Set(result.skipped.map((skip) => skip.url));
    for (const document of await listAllDocuments(options.store.documents, options.tenantId)) {
      const externalId = document.externalId;
      if (!externalId || scope.normalize(externalId) !== externalId) continue;
      if (indexedUrls.has(externalId) || keep.has(externalId)) continue;
      const vanished = gone.has(externalId) || (sawWholeSite && !seen.has(externalId));
      if (vanished && (await removeDocument(options, options.tenantId, document.id))) result.removed += 1;
    }
  }
  return result;
}
