/**
 * Nothing in a visitor's message or an assistant's answer can run script or inject markup, Markdown
 * links are safe, and page CSS and widget CSS cannot affect each other (Shadow DOM).
 */
import { browserTest as test, useWidgetTestEnvironment } from './support/widget-test-environment.ts';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { createTestAnswerEngine } from '@miptech/testing/widget-answer-script.ts';
import { chatDialog, conversation, launcher, messageBox, openPage, shadowFacts } from './support/widget-page.ts';

const env = useWidgetTestEnvironment({ overrides: { engine: createTestAnswerEngine({ delayMs: 5 }) } });

const USER_ATTACK = `<img src=x onerror="window.__xss='user-img'"><script>window.__xss='user-script'</script> **hostile** [x](javascript:window.__xss='user-link')`;

async function assertInert(page: Page): Promise<void> {
  assert.equal(await page.evaluate(() => (window as { __xss?: unknown }).__xss), undefined, 'no injected script ran');
  const facts = await shadowFacts(page);
  assert.equal(facts.images, 0, 'no <img> element was created');
  assert.equal(facts.scripts, 0, 'no <script> element was created');
  assert.equal(await page.evaluate(() => document.querySelectorAll('body img, body script:not([src]):not([data-test])').length), 1, 'nothing leaked into the page (its one inline script)');
  for (const link of facts.links) {
    assert.match(link.href, /^(https?:|mailto:)/, `only http(s)/mailto links: ${link.href}`);
    assert.equal(link.target, '_blank');
    assert.equal(link.rel, 'noopener noreferrer');
  }
  const log = conversation(page);
  // The visitor's message is shown verbatim, as text (not even Markdown).
  assert.equal(await log.getByText(USER_ATTACK, { exact: true }).count(), 1);
  // The answer's HTML is text; its Markdown links are links only when safe.
  await log.getByText(`<img src=x onerror="window.__xss = 'answer-img'">`, { exact: false }).waitFor();
  await log.getByText(`<script>window.__xss = 'answer-script'</script>`, { exact: false }).waitFor();
  await log.getByText('<b>not bold</b>', { exact: false }).waitFor();
  assert.equal(await log.getByRole('link', { name: 'good link' }).getAttribute('href'), 'https://docs.example.com/safe');
  assert.equal(await log.getByRole('link', { name: 'bad link' }).count(), 0, 'a javascript: link is not a link');
  await log.getByText('bad link').waitFor();
}

test('HTML and script in a user message and in an answer stay inert text, also after a reload', async () => {
  const page = await env.browser.newPage();
  await openPage(page, `${env.tp.url}/`);
  await launcher(page).click();
  await messageBox(page).fill(USER_ATTACK);
  await messageBox(page).press('Enter');
  await conversation(page).getByRole('link', { name: 'Embedding the chat widget' }).waitFor(); // answer complete
  await assertInert(page);

  await page.reload();
  await chatDialog(page).waitFor();
  await conversation(page).getByRole('link', { name: 'good link' }).waitFor();
  await assertInert(page);
  await page.close();
});

test('page CSS cannot break the widget, and widget CSS does not leak into the page', async () => {
  const page = await env.browser.newPage();
  await openPage(page, `${env.tp.url}/`);
  await page.addStyleTag({
    content: `
      * { font-family: serif !important; color: rgb(255, 0, 0) !important; }
      button { display: none !important; }
      miptech-chat { display: none !important; position: static !important; inset: 0 !important; opacity: 0 !important; }
      .launcher, .panel, .bubble { background: rgb(255, 0, 0) !important; }`,
  });
  await page.evaluate(() => {
    document.body.insertAdjacentHTML('beforeend', '<div id="page-bubble" class="bubble">page text</div><div id="page-panel" class="panel" role="note">page panel</div>');
  });

  const button = launcher(page);
  await button.waitFor();
  const box = await button.boundingBox();
  assert.ok(box, 'the launcher is visible');
  assert.equal(Math.round(box.x + box.width), 1280 - 20, 'launcher 20 px from the right edge');
  assert.equal(Math.round(box.y + box.height), 800 - 20, 'launcher 20 px from the bottom edge');
  const launcherStyle = await button.evaluate((element) => {
    const style = getComputedStyle(element);
    return { background: style.backgroundColor, font: style.fontFamily };
  });
  assert.notEqual(launcherStyle.background, 'rgb(255, 0, 0)');
  assert.doesNotMatch(launcherStyle.font, /^serif$/);

  await button.click();
  const dialog = chatDialog(page);
  await dialog.waitFor();
  const greeting = dialog.locator('.greeting .bubble');
  const greetingStyle = await greeting.evaluate((element) => ({ color: getComputedStyle(element).color, font: getComputedStyle(element).fontFamily }));
  assert.notEqual(greetingStyle.color, 'rgb(255, 0, 0)', 'page colours do not reach inside');
  assert.doesNotMatch(greetingStyle.font, /^serif$/, 'page fonts do not reach inside');

  const pageElements = await page.evaluate(() => {
    const bubble = getComputedStyle(document.getElementById('page-bubble')!);
    const panel = getComputedStyle(document.getElementById('page-panel')!);
    return { bubbleRadius: bubble.borderRadius, bubblePadding: bubble.paddingTop, panelPosition: panel.position, panelShadow: panel.boxShadow };
  });
  assert.deepEqual(pageElements, { bubbleRadius: '0px', bubblePadding: '0px', panelPosition: 'static', panelShadow: 'none' }, 'widget classes do not style the page');
  await page.close();
});
