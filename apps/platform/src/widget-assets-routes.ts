/**
 * The widget's files and the demo pages:
 * - `GET /widget.js` — the embeddable widget (@miptech/widget's dist/widget.js)
 * - `GET /sdk/client.js` — the client SDK as one ES module for `<script type="module">` pages
 *   (@miptech/widget's dist/miptech-client.js; the client README's no-bundler snippet imports it)
 * - `GET /demo-react.js` — the React demo's bundle (demo/dist/react-demo.js of this package)
 * - `GET /` — the platform's demo page with the widget embedded for the default tenant
 * - `GET /demo/react` — the same chat built with @miptech/react
 *
 * Files are read once and re-read only when their mtime changes (a rebuild shows up without a
 * restart); each has a strong ETag and a precomputed gzip body. Scripts are cacheable for a few
 * minutes only: their URL is not versioned, and tenants must receive fixes quickly.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { fileURLToPath } from 'node:url';
import { WIDGET_ASSETS } from '@miptech/widget/assets';
import { AppError } from '@miptech/server';
import { demoPageSecurityHeaders } from './demo-page-security.ts';

export interface WidgetAssetsOptions {
  /** The tenant whose widget the demo pages embed. */
  getDefaultTenant: () => Promise<{ id: string; publishableKey: string }>;
}

interface LoadedFile {
  mtimeMs: number;
  body: Buffer;
  gzipped: Buffer;
  etag: string;
}

/** The demo pages and their bundle, in this package's demo/ (one folder up from src/ and dist/ alike). */
const demoFile = (name: string): string => fileURLToPath(new URL(`../demo/${name}`, import.meta.url));
const DEMO_ASSETS = {
  /** Page templates; `{{NAME}}` placeholders are filled per request (see fillTemplate). */
  demoPage: demoFile('index.html'),
  reactDemoPage: demoFile('react.html'),
  /** Built by scripts/build-demo.mjs (part of this package's `npm run build`). */
  reactDemoScript: demoFile('dist/react-demo.js'),
} as const;

const SCRIPT_CACHE_CONTROL = 'public, max-age=300, stale-while-revalidate=86400';
const JAVASCRIPT = 'text/javascript; charset=utf-8';
const HTML = 'text/html; charset=utf-8';

/** Reads a file, caching it until its mtime changes. A missing file resolves to null. */
function fileCache(): (path: string) => Promise<LoadedFile | null> {
  const cache = new Map<string, LoadedFile>();
  return async (path) => {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(path)).mtimeMs;
    } catch {
      cache.delete(path);
      return null;
    }
    const cached = cache.get(path);
    if (cached && cached.mtimeMs === mtimeMs) return cached;
    const body = await readFile(path);
    const loaded = { mtimeMs, body, gzipped: gzipSync(body, { level: 9 }), etag: etagOf(body) };
    cache.set(path, loaded);
    return loaded;
  };
}

function etagOf(body: Buffer | string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** Fills `{{NAME}}` placeholders with HTML-escaped values; unknown names are left empty. */
function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{([A-Z_]+)\}\}/g, (_match, name: string) => escapeHtml(values[name] ?? ''));
}

function acceptsGzip(request: FastifyRequest): boolean {
  const header = request.headers['accept-encoding'];
  return typeof header === 'string' && /\bgzip\b/i.test(header);
}

function matchesEtag(request: FastifyRequest, etag: string): boolean {
  const header = request.headers['if-none-match'];
  return typeof header === 'string' && header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** Sends a body with ETag / 304 and gzip when the client accepts it. */
function sendBody(
  request: FastifyRequest,
  reply: FastifyReply,
  file: { body: Buffer; gzipped: Buffer; etag: string },
  contentType: string,
  cacheControl: string,
): FastifyReply {
  void reply.header('content-type', contentType);
  void reply.header('cache-control', cacheControl);
  void reply.header('etag', file.etag);
  void reply.header('x-content-type-options', 'nosniff');
  if (matchesEtag(request, file.etag)) return reply.status(304).send();
  if (acceptsGzip(request)) {
    void reply.header('content-encoding', 'gzip');
    return reply.send(file.gzipped);
  }
  return reply.send(file.body);
}

const widgetAssetsRoutes: FastifyPluginAsync<WidgetAssetsOptions> = async (app, options) => {
  const load = fileCache();

  // Responses differ by Accept-Encoding; keep whatever Vary other hooks set (CORS sets Origin).
  app.addHook('onSend', async (_request, reply) => {
    const vary = reply.getHeader('vary');
    const current = typeof vary === 'string' ? vary : Array.isArray(vary) ? vary.join(', ') : '';
    if (!/accept-encoding/i.test(current)) void reply.header('vary', current ? `${current}, Accept-Encoding` : 'Accept-Encoding');
  });

  const script = (path: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    const file = await load(path);
    if (!file) throw new AppError('service_unavailable', 'The widget is not built yet: run `npm run build`');
    // Any site may embed the widget, also pages that require CORP (Cross-Origin-Embedder-Policy).
    void reply.header('cross-origin-resource-policy', 'cross-origin');
    return sendBody(request, reply, file, JAVASCRIPT, SCRIPT_CACHE_CONTROL);
  };

  const page = (path: string) => async (request: FastifyRequest, reply: FastifyReply) => {
    const template = await load(path);
    if (!template) throw new AppError('not_found', 'Demo page template missing');
    const tenant = await options.getDefaultTenant();
    const html = fillTemplate(template.body.toString('utf8'), {
      TENANT_ID: tenant.id,
      PUBLISHABLE_KEY: tenant.publishableKey,
      ORIGIN: `${request.protocol}://${request.host}`,
    });
    const body = Buffer.from(html, 'utf8');
    void reply.header('referrer-policy', 'strict-origin-when-cross-origin');
    void reply.headers(demoPageSecurityHeaders(html));
    return sendBody(request, reply, { body, gzipped: gzipSync(body), etag: etagOf(body) }, HTML, 'no-cache');
  };

  app.get('/widget.js', script(WIDGET_ASSETS.widgetScript));
  app.get('/sdk/client.js', script(WIDGET_ASSETS.clientModule));
  app.get('/demo-react.js', script(DEMO_ASSETS.reactDemoScript));
  app.get('/', page(DEMO_ASSETS.demoPage));
  app.get('/demo/react', page(DEMO_ASSETS.reactDemoPage));
};

export default widgetAssetsRoutes;
