/**
 * Page helpers for the widget's browser tests. Locators go by role and accessible name (Playwright
 * pierces the open shadow root), so the tests use the widget the way assistive technology sees it.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Locator, Page } from 'playwright-core';

/** `test-artifacts/screenshots/` at the repository root (git-ignored). */
export const SCREENSHOT_DIR = fileURLToPath(new URL('../../../../test-artifacts/screenshots/', import.meta.url));

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return `${SCREENSHOT_DIR}${name}.png`;
}

export const launcher = (page: Page, name = 'Open chat'): Locator => page.getByRole('button', { name, exact: true });
export const chatDialog = (page: Page): Locator => page.getByRole('dialog');
export const messageBox = (page: Page, name = 'Message'): Locator => page.getByRole('textbox', { name, exact: true });
export const conversation = (page: Page): Locator => page.getByRole('log');

/** Opens a page and waits until the widget's public API and launcher are there. */
export async function openPage(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await page.waitForFunction(() => typeof (window as { MIPTechChat?: { version?: string } }).MIPTechChat?.version === 'string');
}

/** Records every `connection` event into `window.__states` (read with `connectionStates`). */
export async function recordConnectionStates(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { __states: string[]; MIPTechChat: { on(type: string, cb: (e: { state: string }) => void): void } };
    w.__states = [];
    w.MIPTechChat.on('connection', (event) => w.__states.push(event.state));
  });
}

export async function connectionStates(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __states: string[] }).__states);
}

/**
 * Records the text length of the newest answer bubble on every DOM change, to prove an answer is
 * shown growing while it streams rather than appearing at once.
 */
export async function recordAnswerGrowth(page: Page): Promise<void> {
  await page.evaluate(() => {
    const root = document.querySelector('miptech-chat')?.shadowRoot;
    if (!root) throw new Error('widget shadow root missing');
    const w = window as unknown as { __growth: number[]; __typingFirst: boolean };
    w.__growth = [];
    w.__typingFirst = false;
    const observer = new MutationObserver(() => {
      const bubbles = root.querySelectorAll('.row.assistant:not(.greeting) .bubble:not(.typing)');
      const last = bubbles[bubbles.length - 1];
      const length = last?.textContent?.length ?? 0;
      if (w.__growth.length === 0 && length === 0 && root.querySelector('.typing')) w.__typingFirst = true;
      if (length > 0 && w.__growth[w.__growth.length - 1] !== length) w.__growth.push(length);
    });
    observer.observe(root, { subtree: true, childList: true, characterData: true });
  });
}

export async function answerGrowth(page: Page): Promise<{ lengths: number[]; typingBeforeText: boolean }> {
  return page.evaluate(() => {
    const w = window as unknown as { __growth: number[]; __typingFirst: boolean };
    return { lengths: w.__growth, typingBeforeText: w.__typingFirst };
  });
}

/** Runs in the page: facts about the widget's shadow DOM. */
export async function shadowFacts(page: Page): Promise<{ images: number; scripts: number; links: Array<{ href: string; target: string; rel: string; text: string }> }> {
  return page.evaluate(() => {
    const root = document.querySelector('miptech-chat')?.shadowRoot;
    if (!root) throw new Error('widget shadow root missing');
    return {
      images: root.querySelectorAll('img').length,
      scripts: root.querySelectorAll('script').length,
      links: [...root.querySelectorAll('a')].map((a) => ({ href: a.getAttribute('href') ?? '', target: a.target, rel: a.rel, text: a.textContent ?? '' })),
    };
  });
}

/** The element focused inside the widget (`shadowRoot.activeElement`), as `panel|outside-panel:tag:name`. */
export async function focusedInWidget(page: Page): Promise<string | null> {
  return (await page.evaluate(widgetFocus, null)) as string | null;
}

/** Waits (at most 5 s) until `focusedInWidget` would return `expected`; returns the final value. */
export async function waitForWidgetFocus(page: Page, expected: string): Promise<string | null> {
  await page.waitForFunction(widgetFocus, expected, { timeout: 5000 }).then((handle) => handle.dispose(), () => undefined);
  return focusedInWidget(page);
}

/** Runs in the page: describes the focused widget element, or compares it with `expected`. */
function widgetFocus(expected: string | null): string | boolean | null {
  const host = document.querySelector('miptech-chat');
  const active = document.activeElement === host ? (host?.shadowRoot?.activeElement as HTMLElement | null | undefined) : null;
  const described = active
    ? `${active.closest('[role="dialog"]') ? 'panel' : 'outside-panel'}:${active.tagName.toLowerCase()}:${active.getAttribute('aria-label') ?? active.textContent?.trim() ?? ''}`
    : null;
  return expected === null ? described : described === expected;
}

/** Waits until the CSS animations inside `locator` (panel opening, bubbles) have finished. */
export async function settleAnimations(locator: Locator): Promise<void> {
  await locator.evaluate((element) => Promise.all(element.getAnimations({ subtree: true }).filter((a) => a.effect?.getTiming().iterations !== Infinity).map((a) => a.finished)));
}

/**
 * Serves `url` to this page with its HTML changed by `transform` (e.g. to add `data-lang`).
 * Chromium's local-network checks then block WebSockets to 127.0.0.1 from that document: use it
 * only for tests that need no chat connection.
 */
export async function rewriteHtml(page: Page, url: string, transform: (html: string) => string): Promise<void> {
  await page.route(url, async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, body: transform(await response.text()) });
  });
}
