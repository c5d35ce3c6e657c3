/**
 * The demo pages carry a Content-Security-Policy and framing protection (issue #15), and both
 * still work under it in Chromium: the widget page and the React page chat, no policy violation
 * is reported, and another site cannot frame them.
 */
import { browserTest as test, useWidgetTestEnvironment } from './support/widget-test-environment.ts';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { createTestAnswerEngine } from '@miptech/testing/widget-answer-script.ts';
import { chatDialog, conversation, messageBox, openPage } from './support/widget-page.ts';

const env = useWidgetTestEnvironment({ overrides: { engine: createTestAnswerEngine({ delayMs: 5 }) } });

/** Records CSP violations of the page (the event fires for every blocked script, style, connection). */
async function recordViolations(page: Page): Promise<string[]> {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) => console.error(`Refused to (CSP) ${event.violatedDirective} ${event.blockedURI}`));
  });
  return violations;
}

test('the demo page has a CSP and framing protection, and the widget still chats under it', async (t) => {
  const response = await fetch(`${env.tp.url}/`);
  const csp = response.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self' 'sha256-/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.equal(response.headers.get('x-frame-options'), 'DENY');
  assert.ok((await fetch(`${env.tp.url}/demo/react`)).headers.get('content-security-policy'));

  const page = await env.browser.newPage();
  t.after(() => page.close());
  const violations = await recordViolations(page);
  await openPage(page, `${env.tp.url}/`);
  // The page's own inline script runs (its hash is allowed): the "Ask" button opens the widget.
  await page.locator('#ask').click();
  await chatDialog(page).waitFor();
  await messageBox(page).fill('How do I embed the widget?');
  await messageBox(page).press('Enter');
  await conversation(page).getByRole('link', { name: 'widget guide' }).waitFor();
  assert.deepEqual(violations, []);
});

test('the React demo chats under its CSP', async (t) => {
  const page = await env.browser.newPage();
  t.after(() => page.close());
  const violations = await recordViolations(page);
  await page.goto(`${env.tp.url}/demo/react`);
  await page.getByText('online', { exact: true }).waitFor();
  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill('How do I embed the widget?');
  await box.press('Enter');
  await conversation(page).getByRole('link', { name: 'widget guide' }).waitFor();
  assert.deepEqual(violations, []);
});

test('another site cannot frame the demo page', async (t) => {
  const site = createServer((_request, response) => {
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end(`<!doctype html><title>framer</title><iframe src="${env.tp.url}/"></iframe>`);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    site.close(() => resolve());
    site.closeAllConnections();
  }));
  const page = await env.browser.newPage();
  t.after(() => page.close());
  const refusals: string[] = [];
  page.on('console', (message) => {
    if (/frame-ancestors|X-Frame-Options|Refused to (frame|display)/i.test(message.text())) refusals.push(message.text());
  });
  await page.goto(`http://127.0.0.1:${(site.address() as AddressInfo).port}/`);
  await page.waitForTimeout(1000);
  const framed = page.frames().find((frame) => frame !== page.mainFrame());
  const framedTitle = framed ? await framed.title().catch(() => '') : '';
  assert.doesNotMatch(framedTitle, /MIPTech/, 'the demo page did not load inside the frame');
  assert.ok(refusals.length > 0 || !framed, `Chromium refused the frame: ${JSON.stringify(refusals)}`);
});
