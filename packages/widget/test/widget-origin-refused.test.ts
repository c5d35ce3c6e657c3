/**
 * The widget on a page whose origin the tenant does not allow (issue #15, item 8): instead of
 * "Connecting…" forever, the visitor is told the chat is not enabled for this website, and the
 * site owner finds a console warning naming the page's origin and where to allow it.
 */
import { browserTest as test, useWidgetTestEnvironment } from './support/widget-test-environment.ts';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestAnswerEngine } from '@miptech/testing/widget-answer-script.ts';
import { stringsFor } from '../src/strings.ts';
import { chatDialog, launcher, openPage } from './support/widget-page.ts';

const env = useWidgetTestEnvironment({ overrides: { engine: createTestAnswerEngine({ delayMs: 5 }) } });

test('a page on an origin the tenant does not allow: a clear error for the visitor, a console warning for the site owner', async (t) => {
  const tenant = await env.tp.platform.services.store.tenants.get(env.tp.tenantId);
  assert.ok(tenant);
  // Another port is another origin: one the default tenant does not list.
  const site = createServer((_request, response) => {
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end(`<!doctype html><html lang="en"><head><title>Some other site</title></head><body><h1>Other site</h1>
<script src="${env.tp.url}/widget.js" data-tenant="${tenant.id}" data-key="${tenant.publishableKey}" async></script></body></html>`);
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    site.close(() => resolve());
    site.closeAllConnections();
  }));
  const siteOrigin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;

  const page = await env.browser.newPage();
  t.after(() => page.close());
  const warnings: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'warning') warnings.push(message.text());
  });
  await openPage(page, `${siteOrigin}/`);
  await launcher(page).click();
  await chatDialog(page).waitFor();
  const strings = stringsFor('en');
  await chatDialog(page).getByText(strings.reasonNotAllowed).waitFor({ timeout: 10_000 });
  assert.equal(await chatDialog(page).getByText(strings.stateConnecting, { exact: true }).count(), 0, 'not "Connecting…" any more');

  const warning = warnings.find((text) => text.includes('[MIPTechChat]') && text.includes('not an allowed origin'));
  assert.ok(warning, `a console warning for the site owner: ${JSON.stringify(warnings)}`);
  assert.ok(warning.includes(siteOrigin), 'it names the page origin');
  assert.match(warning, /--add-origin/, 'and says where to add it');
});
