/**
 * `/demo/react`: the same chat built with @miptech/react (useChatSession) instead of the widget,
 * served by the platform and working against it.
 */
import { browserTest as test, useWidgetTestEnvironment } from './support/widget-test-environment.ts';
import assert from 'node:assert/strict';
import { createTestAnswerEngine, TEST_SOURCES } from '@miptech/testing/widget-answer-script.ts';
import { conversation, screenshotPath } from './support/widget-page.ts';

const engine = createTestAnswerEngine({ delayMs: 10 });
const env = useWidgetTestEnvironment({ overrides: { engine } });

test('the React demo page chats with the platform through useChatSession', async () => {
  const page = await env.browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`${env.tp.url}/demo/react`);
  await page.getByRole('heading', { name: 'The same chat, built with React' }).waitFor();
  await page.getByText('online', { exact: true }).waitFor();

  const box = page.getByRole('textbox', { name: 'Message' });
  await box.fill('How do I embed the widget?');
  await box.press('Enter');
  const log = conversation(page);
  await log.getByText('How do I embed the widget?').waitFor();
  await log.getByRole('link', { name: 'widget guide' }).waitFor();
  await log.getByRole('link', { name: TEST_SOURCES[0]!.title }).waitFor();
  assert.equal(await log.getByRole('strong').first().textContent(), 'one script tag', 'the shared safe Markdown renderer');
  await page.screenshot({ path: screenshotPath('react-demo') });

  await page.reload();
  await page.getByText('online', { exact: true }).waitFor();
  await conversation(page).getByRole('link', { name: 'widget guide' }).waitFor();
  assert.equal(await conversation(page).getByText('How do I embed the widget?').count(), 1, 'history after a reload');
  assert.deepEqual(engine.questions, ['How do I embed the widget?']);
  assert.deepEqual(errors, []);
  await page.close();
});
