/**
 * Launches the system Chromium (Debian package at /usr/bin/chromium) through playwright-core,
 * headless, sandbox-less and without any background network, with a fresh profile directory that
 * is deleted on close. Never `playwright install`: there is no browser download in this project.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface TestBrowser {
  readonly context: BrowserContext;
  /** A new tab with the given viewport (desktop 1280×800 by default). */
  newPage(options?: { width?: number; height?: number; colorScheme?: 'light' | 'dark'; reducedMotion?: boolean }): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<TestBrowser> {
  const profile = mkdtempSync(join(tmpdir(), 'miptech-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1280, height: 800 },
    timeout: 60_000,
  });
  context.setDefaultTimeout(15_000);
  // The persistent context opens one blank tab; tests open their own.
  for (const page of context.pages()) await page.close();
  return {
    context,
    async newPage(options = {}) {
      const page = await context.newPage();
      await page.setViewportSize({ width: options.width ?? 1280, height: options.height ?? 800 });
      await page.emulateMedia({ colorScheme: options.colorScheme ?? 'light', reducedMotion: options.reducedMotion ? 'reduce' : 'no-preference' });
      page.on('pageerror', (error) => console.error(`[page error] ${error.message}`));
      return page;
    },
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
