#!/usr/bin/env node
// Screenshots of the preview page (desktop, phone, dark) into .tmp/preview/, for design work.
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const out = join(dirname(fileURLToPath(import.meta.url)), '../.tmp/preview');
const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'pw-')), {
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
});
const shots = [
  { name: 'desktop', viewport: { width: 1280, height: 800 }, colorScheme: 'light' },
  { name: 'phone', viewport: { width: 360, height: 740 }, colorScheme: 'light' },
  { name: 'dark', viewport: { width: 1280, height: 800 }, colorScheme: 'dark' },
];
for (const shot of shots) {
  const page = await browser.newPage();
  await page.setViewportSize(shot.viewport);
  await page.emulateMedia({ colorScheme: shot.colorScheme });
  page.on('console', (m) => console.log('console:', m.text()));
  page.on('pageerror', (e) => console.log('pageerror:', e.message));
  await page.goto(`file://${out}/index.html`);
  await page.getByRole('button', { name: 'Open chat' }).click();
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill('How do I embed the widget?');
  await box.press('Enter');
  await page.getByText('deployment guide').waitFor({ timeout: 5000 }).catch(async (e) => {
    await page.screenshot({ path: join(out, `${shot.name}-fail.png`) });
    throw e;
  });
  await page.getByRole('link', { name: 'Embedding the widget' }).waitFor();
  if (shot.name === 'dark') {
    await page.evaluate(() => window.previewClient.setConnection('reconnecting', null, 2));
  }
  await page.screenshot({ path: join(out, `${shot.name}.png`) });
  await page.close();
}
await browser.close();
