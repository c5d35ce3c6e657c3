/**
 * Keyboard-only use: Tab to the launcher, Enter opens with focus in the text box, Shift+Enter makes
 * a new line, Enter sends, Tab stays inside the open panel, Escape closes and focus returns to the
 * launcher.
 */
import { browserTest as test, useWidgetTestEnvironment } from './support/widget-test-environment.ts';
import assert from 'node:assert/strict';
import { createTestAnswerEngine } from '@miptech/testing/widget-answer-script.ts';
import { chatDialog, conversation, focusedInWidget, launcher, messageBox, openPage, waitForWidgetFocus } from './support/widget-page.ts';

const env = useWidgetTestEnvironment({ overrides: { engine: createTestAnswerEngine({ delayMs: 5 }) } });

const LAUNCHER = 'outside-panel:button:Open chat';

test('the widget works with the keyboard alone', async () => {
  const page = await env.browser.newPage();
  await openPage(page, `${env.tp.url}/`);
  await launcher(page).waitFor();

  // Tab through the page until the launcher has focus (bounded: the demo page has a few links).
  let focused: string | null = null;
  for (let presses = 0; presses < 25 && focused !== LAUNCHER; presses += 1) {
    await page.keyboard.press('Tab');
    focused = await focusedInWidget(page);
  }
  assert.equal(focused, LAUNCHER, 'Tab reaches the launcher');

  await page.keyboard.press('Enter');
  await chatDialog(page).waitFor();
  assert.equal(await waitForWidgetFocus(page, 'panel:textarea:Message'), 'panel:textarea:Message', 'opening puts focus in the text box');

  await page.keyboard.type('First line');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('second line');
  assert.equal(await messageBox(page).inputValue(), 'First line\nsecond line', 'Shift+Enter makes a new line');
  await page.keyboard.press('Enter');
  await conversation(page).getByText('First line\nsecond line').waitFor();
  assert.equal(await messageBox(page).inputValue(), '', 'Enter sent the message');
  await conversation(page).getByRole('link', { name: 'widget guide' }).waitFor();

  // Focus trap: Tab and Shift+Tab cycle inside the dialog.
  const seen = new Set<string>();
  for (let presses = 0; presses < 12; presses += 1) {
    await page.keyboard.press('Tab');
    const now = await focusedInWidget(page);
    assert.ok(now?.startsWith('panel:'), `Tab ${presses + 1} stays in the panel, got ${now}`);
    if (now) seen.add(now);
  }
  for (let presses = 0; presses < 12; presses += 1) {
    await page.keyboard.press('Shift+Tab');
    const now = await focusedInWidget(page);
    assert.ok(now?.startsWith('panel:'), `Shift+Tab ${presses + 1} stays in the panel, got ${now}`);
  }
  assert.ok(seen.has('panel:button:Close chat') && seen.has('panel:textarea:Message'), `the cycle covers the panel: ${[...seen].join(', ')}`);

  await page.keyboard.press('Escape');
  await chatDialog(page).waitFor({ state: 'hidden' });
  assert.equal(await waitForWidgetFocus(page, LAUNCHER), LAUNCHER, 'Escape closes and focus returns to the launcher');

  await page.keyboard.press('Enter');
  await chatDialog(page).waitFor();
  await page.getByRole('button', { name: 'Close chat' }).first().waitFor();
  await chatDialog(page).getByRole('button', { name: 'Close chat' }).focus();
  await page.keyboard.press('Enter');
  await chatDialog(page).waitFor({ state: 'hidden' });
  assert.equal(await waitForWidgetFocus(page, LAUNCHER), LAUNCHER, 'the close button also returns focus to the launcher');
  await page.close();
});
