/**
 * The README's "no bundler" quick start runs as written: its HTML snippet is taken from the README
 * text itself (so the two cannot drift apart), pointed at a real platform, served from another
 * origin the tenant allows — as on a customer's site — and driven in Chromium. The page imports the
 * SDK by URL from the platform (/sdk/client.js) and shows the answer as it streams in.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { startWidgetPlatform, type TestPlatform } from '@miptech/testing/widget-platform.ts';
import { createScriptedEngine } from '@miptech/testing/scripted-engine.ts';

const README = new URL('../README.md', import.meta.url);
const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHUNKS = ['The ', 'snippet ', 'from ', 'the ', 'README ', 'streams ', 'this ', 'answer.'];
const ANSWER = CHUNKS.join('');

/** The first ```html block of the README's quick start. */
function readmeSnippet(): string {
  const text = readFileSync(README, 'utf8');
  const start = text.indexOf('## Quick start');
  assert.ok(start >= 0, 'the README has a quick start');
  const match = /```html\n([\s\S]*?)```/.exec(text.slice(start));
  assert.ok(match, 'the quick start has an html snippet');
  return match[1]!;
}

/** Replaces `placeholder`, which must occur exactly once (a changed README fails here, loudly). */
function fill(snippet: string, placeholder: string, value: string): string {
  const parts = snippet.split(placeholder);
  assert.equal(parts.length, 2, `the snippet contains ${placeholder} once`);
  return parts.join(value);
}

let tp: TestPlatform;
let site: Server;
let siteUrl: string;
let context: BrowserContext;
let profile: string;

before(async () => {
  tp = await startWidgetPlatform({ overrides: { engine: createScriptedEngine({ chunks: CHUNKS, delayMs: 40 }) } });
  const { store, tenants } = tp.platform.services;
  const tenant = (await store.tenants.get(tp.tenantId))!;

  let html = readmeSnippet();
  html = fill(html, "from 'https://api.example.com/sdk/client.js'", `from '${tp.url}/sdk/client.js'`);
  html = fill(html, "const API_URL = 'https://api.example.com'", `const API_URL = '${tp.url}'`);
  html = fill(html, "const TENANT_ID = 'your-tenant'", `const TENANT_ID = '${tp.tenantId}'`);
  html = fill(html, "const PUBLISHABLE_KEY = 'pk_…'", `const PUBLISHABLE_KEY = '${tenant.publishableKey}'`);
  const page = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>README snippet</title></head><body>\n${html}</body></html>`;

  // The customer's site: another origin than the platform, allowed by the tenant.
  site = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    response.end(page);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  const address = site.address();
  assert.ok(address && typeof address === 'object');
  siteUrl = `http://127.0.0.1:${address.port}`;
  await store.tenants.updateSettings(tp.tenantId, { allowedOrigins: [...tenant.settings.allowedOrigins, siteUrl] });
  tenants.invalidate(tp.tenantId);

  profile = mkdtempSync(join(tmpdir(), 'miptech-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
  });
  context.setDefaultTimeout(15_000);
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await new Promise((resolve) => (site ? site.close(resolve) : resolve(undefined)));
  await tp?.close();
});

test("the client README's no-bundler snippet, run as written in Chromium, shows a streamed answer", async () => {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(message.text());
  });
  await page.goto(siteUrl);

  // Every rendering of #chat, to see the answer arrive in pieces, not only at the end.
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { seen: string[] }).seen = seen;
    const chat = document.getElementById('chat')!;
    new MutationObserver(() => seen.push(chat.textContent ?? '')).observe(chat, { childList: true, characterData: true, subtree: true });
  });

  await page.locator('input[name="text"]').fill('Does the README snippet work?');
  await page.getByRole('button', { name: 'Send' }).click();
  await page.waitForFunction((answer) => document.getElementById('chat')!.textContent!.includes(`AI: ${answer}`), ANSWER);

  const chat = await page.locator('#chat').textContent();
  assert.ok(chat!.includes('You: Does the README snippet work?'), chat!);
  const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen);
  const partial = seen.filter((text) => /AI: \S/.test(text) && !text.includes(`AI: ${ANSWER}`));
  assert.ok(partial.length > 0, `the answer was shown while it streamed: ${JSON.stringify(seen)}`);
  assert.deepEqual(errors, []);
  await page.close();
});
