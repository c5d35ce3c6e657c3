/**
 * The usual set-up of a browser test file: a real platform (with the given options) and a browser,
 * started before the file's tests and closed after them.
 *
 * Browser test files declare their tests with `browserTest` (node:test's `test`, or the same test
 * skipped when there is no browser). The rule of the PostgreSQL and Redis test helpers: CHROMIUM_PATH
 * set → that binary, and failing to launch it fails the tests; unset → /usr/bin/chromium when it
 * exists, otherwise the browser tests are skipped with a message naming CHROMIUM_PATH.
 */
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { StartTestPlatformOptions } from '@miptech/testing/test-platform.ts';
import { CHROMIUM_PATH, launchBrowser, type TestBrowser } from './browser.ts';
import { startWidgetPlatform, type TestPlatform } from '@miptech/testing/widget-platform.ts';

export interface WidgetTestEnvironment {
  /** The running platform; tests that restart it assign the new one here. */
  tp: TestPlatform;
  readonly browser: TestBrowser;
}

/** Why the browser tests are skipped, or null when they run. */
export const BROWSER_SKIP_REASON: string | null =
  process.env.CHROMIUM_PATH === undefined && !existsSync(CHROMIUM_PATH)
    ? `browser tests skipped: CHROMIUM_PATH is unset and ${CHROMIUM_PATH} does not exist (apt-get install chromium, or set CHROMIUM_PATH)`
    : null;

function skippedTest(name: string, ...rest: unknown[]) {
  const fn = rest.find((value) => typeof value === 'function') as (() => void) | undefined;
  const options = (rest.find((value) => typeof value === 'object' && value !== null) ?? {}) as object;
  return test(name, { ...options, skip: BROWSER_SKIP_REASON ?? false }, fn);
}

/** `test` for tests that need the browser: skipped (with the reason) when there is none. */
export const browserTest = (BROWSER_SKIP_REASON === null ? test : skippedTest) as typeof test;

export function useWidgetTestEnvironment(options: StartTestPlatformOptions = {}): WidgetTestEnvironment {
  const environment = {} as { tp: TestPlatform; browser: TestBrowser };
  if (BROWSER_SKIP_REASON !== null) return environment;
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
