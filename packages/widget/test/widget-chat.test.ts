/**
 * The widget in a real browser against the real platform: the demo page at `/`, a question with a
 * streamed answer and sources, the conversation after a reload, and a server restart in the middle
 * of the conversation (with a message typed while the server is down).
 */
import { browserTest as test, useWidgetTestEnvironment } from './support/widget-test-environment.ts';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { createTestAnswerEngine, TEST_SOURCES } from '@miptech/testing/widget-answer-script.ts';
import { restartOnSamePort, stopKeepingData } from '@miptech/testing/widget-platform.ts';
import {
  answerGrowth,
  chatDialog,
  connectionStates,
  conversation,
  launcher,
  messageBox,
  openPage,
  recordAnswerGrowth,
  recordConnectionStates,
  screenshotPath,
  settleAnimations,
} from './support/widget-page.ts';

const engine = createTestAnswerEngine({ delayMs: 40 });
const env = useWidgetTestEnvironment({ overrides: { engine } });
/** One tab for the whole story (Node 20 does not chain top-level `before` hooks, so not made in one). */
let page: Page;

test('the demo page describes the platform and embeds the widget for the default tenant', async () => {
  page = await env.browser.newPage();
  await openPage(page, `${env.tp.url}/`);
  assert.match(await page.title(), /MIPTech/);
  await page.getByRole('heading', { level: 1 }).waitFor();
  const script = page.locator('script[src="/widget.js"]');
  assert.equal(await script.getAttribute('data-tenant'), env.tp.tenantId);
  assert.match((await script.getAttribute('data-key')) ?? '', /^pk_/);
  await launcher(page).waitFor();
  assert.equal(await chatDialog(page).isVisible(), false, 'the panel starts closed');
});

test('a question gets an answer that streams in, then shows its sources', async () => {
  await launcher(page).click();
  await chatDialog(page).waitFor();
  await recordAnswerGrowth(page);
  await messageBox(page).fill('How do I embed the widget?');
  await messageBox(page).press('Enter');

  const log = conversation(page);
  await log.getByText('How do I embed the widget?').waitFor();
  await log.getByRole('link', { name: 'widget guide' }).waitFor();
  const sources = log.getByRole('link', { name: TEST_SOURCES[0]!.title });
  await sources.waitFor();
  assert.equal(await sources.getAttribute('href'), TEST_SOURCES[0]!.url);
  await log.getByText(TEST_SOURCES[1]!.title).waitFor(); // a source without URL is shown as text

  const { lengths: growth, typingBeforeText } = await answerGrowth(page);
  assert.ok(typingBeforeText, 'the typing indicator showed until the first chunk');
  assert.equal(await conversation(page).locator('.typing').count(), 0, 'and is gone once the answer is there');
  assert.ok(growth.length >= 5, `the answer grew in steps, saw ${JSON.stringify(growth)}`);
  assert.ok(growth.every((length, index) => index === 0 || length > growth[index - 1]!), `lengths only grow: ${JSON.stringify(growth)}`);
  assert.equal(await log.getByRole('strong').first().textContent(), 'one script tag', 'Markdown is rendered');
  assert.equal(await messageBox(page).inputValue(), '', 'the text box is cleared after sending');
});

test('a reload shows the same conversation', async () => {
  await page.reload();
  // The panel was open before the reload and opens again by itself.
  await chatDialog(page).waitFor();
  const log = conversation(page);
  await log.getByText('How do I embed the widget?').waitFor();
  await log.getByRole('link', { name: 'widget guide' }).waitFor();
  assert.equal(await log.getByText('How do I embed the widget?').count(), 1, 'no duplicate after reload');
  assert.equal(engine.questions.length, 1, 'the reload did not ask again');
});

test('a server restart shows "reconnecting", keeps the conversation and delivers a message typed meanwhile', async () => {
  await recordConnectionStates(page);
  await stopKeepingData(env.tp);
  const dialog = chatDialog(page);
  await dialog.getByText(/Reconnecting/).first().waitFor();
  assert.ok(await conversation(page).getByText('How do I embed the widget?').isVisible(), 'the conversation stays on screen');

  await messageBox(page).fill('Are you back?');
  await messageBox(page).press('Enter');
  await dialog.getByText('Offline — your message will be sent when the connection returns').waitFor();
  await conversation(page).getByText('Will be sent when the connection returns').waitFor();
  await page.screenshot({ path: screenshotPath('widget-offline') });

  env.tp = await restartOnSamePort(env.tp, { overrides: { engine } });
  await dialog.getByText('Online').waitFor({ timeout: 30_000 });
  await conversation(page).getByRole('link', { name: 'widget guide' }).nth(1).waitFor({ timeout: 30_000 });
  assert.equal(await conversation(page).getByText('Are you back?').count(), 1, 'the queued message shows once');
  assert.deepEqual(engine.questions, ['How do I embed the widget?', 'Are you back?'], 'each question was answered exactly once');
  const states = await connectionStates(page);
  assert.ok(states.includes('reconnecting'), `states: ${states.join(' → ')}`);
  assert.equal(states.at(-1), 'ready');
});

test('screenshots of the open widget on desktop and on a 360 px phone', async () => {
  await settleAnimations(chatDialog(page));
  await page.screenshot({ path: screenshotPath('widget-desktop') });

  const phone = await env.browser.newPage({ width: 360, height: 740 });
  try {
    await openPage(phone, `${env.tp.url}/`);
    await launcher(phone).click();
    const dialog = chatDialog(phone);
    await dialog.waitFor();
    // Same browser profile: the same visitor and conversation.
    await conversation(phone).getByText('Are you back?').waitFor();
    await settleAnimations(dialog);
    const box = await dialog.boundingBox();
    const rounded = box && Object.fromEntries(Object.entries(box).map(([key, value]) => [key, Math.round(value)]));
    assert.deepEqual(rounded, { x: 0, y: 0, width: 360, height: 740 }, 'the panel fills a phone screen');
    await phone.screenshot({ path: screenshotPath('widget-phone') });
  } finally {
    await phone.close();
  }

  const dark = await env.browser.newPage({ colorScheme: 'dark' });
  try {
    await openPage(dark, `${env.tp.url}/`);
    await launcher(dark).click();
    await conversation(dark).getByText('Are you back?').waitFor();
    await settleAnimations(chatDialog(dark));
    await dark.screenshot({ path: screenshotPath('widget-desktop-dark') });
  } finally {
    await dark.close();
  }
});
