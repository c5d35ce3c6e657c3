/**
 * The usual set-up of a browser test file: a real platform (with the given options) and a browser,
 * started before the file's tests and closed after them.
 */
import { after, before } from 'node:test';
import type { StartTestPlatformOptions } from '../../../server/test/support/test-platform.ts';
import { launchBrowser, type TestBrowser } from './browser.ts';
import { startWidgetPlatform, type TestPlatform } from './widget-platform.ts';

export interface WidgetTestEnvironment {
  /** The running platform; tests that restart it assign the new one here. */
  tp: TestPlatform;
  readonly browser: TestBrowser;
}

export function useWidgetTestEnvironment(options: StartTestPlatformOptions = {}): WidgetTestEnvironment {
  const environment = {} as { tp: TestPlatform; browser: TestBrowser };
  before(async () => {
    environment.tp = await startWidgetPlatform(options);
    environment.browser = await launchBrowser();
  });
  after(async () => {
    await environment.browser?.close();
    await environment.tp?.close();
  });
  return environment;
}
