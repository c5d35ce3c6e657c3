/**
 * A reload in the middle of an answer (issue #15, item 9): the new page shows the text already
 * streamed at once, not typing dots until the whole answer arrives, then keeps streaming and ends
 * with the answer exactly once.
 */
import { browserTest as test, useWidgetTestEnvironment } from './support/widget-test-environment.ts';
import assert from 'node:assert/strict';
import { createTestAnswerEngine } from '@miptech/testing/widget-answer-script.ts';
import { chatDialog, conversation, launcher, messageBox, openPage } from './support/widget-page.ts';

// About 30 words at 150 ms: a 4-5 s answer, long enough to reload in the middle of it.
const engine = createTestAnswerEngine({ delayMs: 150 });
const env = useWidgetTestEnvironment({ overrides: { engine } });

/** The text of the conversation's assistant rows. */
async function answerText(page: import('playwright-core').Page): Promise<string> {
  return (await conversation(page).locator('.row.assistant .bubble').allTextContents()).join('\n');
}

test('a reload mid-answer shows the partial text within a second, then the answer completes once', async (t) => {
  const page = await env.browser.newPage();
  t.after(() => page.close());
  await openPage(page, `${env.tp.url}/`);
  await launcher(page).click();
  await chatDialog(page).waitFor();
  await messageBox(page).fill('How do I embed the widget?');
  await messageBox(page).press('Enter');
  // Wait until a good part of the answer is on screen.
  await page.waitForFunction(() => {
    const host = document.querySelector('miptech-chat');
    const text = [...(host?.shadowRoot?.querySelectorAll('.row.assistant .bubble') ?? [])].map((node) => node.textContent ?? '').join('');
    return text.includes('Copy the tag');
  });
  const before = await answerText(page);

  await page.reload();
  await chatDialog(page).waitFor();
  const reloadedAt = Date.now();
  // The text shown before the reload is back at once (not after the whole answer).
  await page.waitForFunction(
    (prefix) => {
      const host = document.querySelector('miptech-chat');
      const text = [...(host?.shadowRoot?.querySelectorAll('.row.assistant .bubble') ?? [])].map((node) => node.textContent ?? '').join('');
      return text.includes(prefix);
    },
    'Copy the tag',
    { timeout: 1000 },
  );
  const shownAfterMs = Date.now() - reloadedAt;
  assert.equal(await conversation(page).locator('.row.assistant[data-status="complete"]').count(), 0, `the answer was still streaming when its partial text showed (${shownAfterMs} ms)`);

  // It then goes on streaming and ends exactly once, with the whole answer.
  await conversation(page).locator('.row.assistant[data-status="complete"]').waitFor({ timeout: 15_000 });
  assert.equal(await conversation(page).locator('.row.assistant', { hasText: 'You embed the widget' }).count(), 1, 'one answer (besides the greeting), no duplicate');
  const final = await answerText(page);
  assert.ok(final.length >= before.length);
  assert.ok(final.includes('widget guide') && final.includes('for options.'), `the whole answer: ${final}`);
  assert.equal(final.split('Copy the tag').length - 1, 1, `no repeated text: ${final}`);
  assert.equal(engine.questions.length, 1);
});
