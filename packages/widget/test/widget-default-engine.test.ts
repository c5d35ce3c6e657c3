/**
 * What a newcomer gets after `npm start`: the demo page, the default offline (extractive) engine
 * and the platform's own documentation as the knowledge base — an answer with sources.
 */
import { browserTest as test, useWidgetTestEnvironment } from './support/widget-test-environment.ts';
import assert from 'node:assert/strict';
import { conversation, launcher, messageBox, openPage } from './support/widget-page.ts';

const env = useWidgetTestEnvironment({ overrides: { engine: null, seedKnowledge: true } });

test('the demo page answers a question from the platform docs with the offline engine', async () => {
  const page = await env.browser.newPage();
  await openPage(page, `${env.tp.url}/`);
  await launcher(page).click();
  await messageBox(page).fill('How do I embed the widget?');
  await messageBox(page).press('Enter');
  const answer = conversation(page).locator('.row.assistant[data-status="complete"]').last();
  await answer.waitFor();
  assert.match((await answer.textContent()) ?? '', /script/i, 'the answer is about the script tag');
  assert.ok((await answer.locator('.sources li').count()) >= 1, 'with at least one source');
  await page.close();
});
