#!/usr/bin/env -S npx tsx
/**
 * Design review screenshots of the real widget on the real demo page (a platform on a random port,
 * a scripted answer engine that streams rich Markdown), into test-artifacts/screenshots/review-*.png.
 *
 *   npm run build -w packages/widget && npx tsx packages/widget/dev/review-shots.ts
 *
 * For looking at, not a test: it asserts nothing. The browser tests hold the checks.
 */
import type { Page } from 'playwright-core';
import type { AnswerEngine, AnswerPart } from '@miptech/server';
import { launchBrowser, type TestBrowser } from '../test/support/browser.ts';
import { chatDialog, conversation, launcher, messageBox, openPage, screenshotPath, settleAnimations } from '../test/support/widget-page.ts';
import { startWidgetPlatform, stopKeepingData } from '@miptech/testing/widget-platform.ts';

const RICH = `Embedding the assistant takes **one script tag**:

1. Copy your tenant id and publishable key.
2. Paste the tag just before \`</body>\`:

\`\`\`html
<script src="https://platform.example.com/widget.js" data-tenant="acme" data-key="pk_live_123" async></script>
\`\`\`

- Works in a *Shadow DOM*, so your CSS stays yours.
- Follows the page language (\`data-lang="it"\` to force Italian).

See the [widget guide](https://docs.example.com/widget) for every option.`;

const LONG = `Here is the link you asked for: https://docs.example.com/a/very/long/path/that/never/breaks/on/its/own/because/it/has/no/spaces/at/all?with=query&and=more&parameters=true and a long word: Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherungsanstalt.

\`const veryLongIdentifierNameThatGoesOnAndOn = createSomethingWithAVeryLongName(argumentNumberOne, argumentNumberTwo);\``;

const SOURCES = [
  { title: 'Embedding the chat widget', url: 'https://docs.example.com/widget', snippet: 'One script tag.' },
  { title: 'A very long source title that would never fit on one line of a narrow chat bubble', url: 'https://docs.example.com/long', snippet: '' },
  { title: 'protocol.md', url: null, snippet: 'The wire contract.' },
];

let release: (() => void) | null = null;
const engine: AnswerEngine = {
  name: 'review',
  async *stream(request): AsyncIterable<AnswerPart> {
    if (/hold/i.test(request.question)) await new Promise<void>((resolve) => (release = resolve));
    const text = /long/i.test(request.question) ? LONG : RICH;
    for (const word of text.split(/(?<=\s)/)) {
      await new Promise((resolve) => setTimeout(resolve, 8));
      yield { type: 'text', text: word };
    }
    yield { type: 'sources', sources: SOURCES };
  },
};

const tp = await startWidgetPlatform({ overrides: { engine } });
const url = `${tp.url}/`;
const shot = async (page: Page, name: string, fullPage = false): Promise<void> => {
  if (await chatDialog(page).isVisible()) await settleAnimations(chatDialog(page));
  await page.screenshot({ path: screenshotPath(`review-${name}`), fullPage });
  console.log(screenshotPath(`review-${name}`));
};
const ask = async (page: Page, text: string, box = 'Message'): Promise<void> => {
  await messageBox(page, box).fill(text);
  await messageBox(page, box).press('Enter');
};
/** Waits until `count` answers show their sources. */
const answered = (page: Page, count = 1) =>
  page.waitForFunction((n) => (document.querySelector('miptech-chat')?.shadowRoot?.querySelectorAll('.sources').length ?? 0) >= n, count);
/** Each scenario in a fresh browser profile: a new visitor with an empty conversation. */
async function scenario(options: Parameters<TestBrowser['newPage']>[0], run: (page: Page, browser: TestBrowser) => Promise<void>): Promise<void> {
  const browser = await launchBrowser();
  try {
    await run(await browser.newPage(options), browser);
  } finally {
    await browser.close();
  }
}

try {
  await scenario({}, async (page) => {
    await openPage(page, url);
    await launcher(page).waitFor();
    await shot(page, 'desktop-closed');
    await shot(page, 'demo-full', true);
    await launcher(page).click();
    await settleAnimations(chatDialog(page));
    await shot(page, 'desktop-open');
    await ask(page, 'How do I embed the widget?');
    await answered(page);
    await conversation(page).getByRole('link', { name: 'widget guide' }).waitFor();
    await shot(page, 'desktop-answer');
    await ask(page, 'hold on, one more?');
    await page.waitForFunction(() => document.querySelector('miptech-chat')?.shadowRoot?.querySelector('.typing'));
    await shot(page, 'desktop-typing');
    release?.();
    await answered(page, 2);
  });

  await scenario({ width: 360, height: 740 }, async (page) => {
    await openPage(page, url);
    await shot(page, 'phone-closed', true);
    await launcher(page).click();
    await settleAnimations(chatDialog(page));
    await shot(page, 'phone-open');
    await ask(page, 'How do I embed the widget?');
    await answered(page);
    await shot(page, 'phone-answer');
    await ask(page, `Send me the long link ${'https://example.com/'.padEnd(90, 'x')}`);
    await answered(page, 2);
    await shot(page, 'phone-long');
    console.log('phone scrollWidth', await page.evaluate(() => document.documentElement.scrollWidth));
  });

  await scenario({ colorScheme: 'dark' }, async (page) => {
    await openPage(page, url);
    await launcher(page).click();
    await ask(page, 'How do I embed the widget?');
    await answered(page);
    await shot(page, 'dark-answer');
  });

  // Italian: data-lang set on the tag before it runs (no HTML rewrite, so WebSockets still work).
  await scenario({}, async (page) => {
    await page.addInitScript(() => {
      new MutationObserver((_, observer) => {
        const tag = document.querySelector('script[data-tenant]');
        if (tag) {
          tag.setAttribute('data-lang', 'it');
          observer.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    });
    await openPage(page, url);
    await launcher(page, 'Apri la chat').click();
    await ask(page, 'Come si integra il widget?', 'Messaggio');
    await answered(page);
    await shot(page, 'italian');
  });

  // Long user message and long unbroken words, then offline, then the server gone (reconnecting).
  await scenario({}, async (page, browser) => {
    await openPage(page, url);
    await launcher(page).click();
    await ask(page, `A long question: ${'https://example.com/'.padEnd(160, 'x')} ${'word '.repeat(60)}`);
    await answered(page);
    await ask(page, 'Send me the long link');
    await answered(page, 2);
    await shot(page, 'desktop-long');
    await browser.context.setOffline(true);
    await chatDialog(page).getByText('Offline —').waitFor();
    await ask(page, 'Are you there?');
    await shot(page, 'offline');
    await browser.context.setOffline(false);
    await stopKeepingData(tp);
    await chatDialog(page).getByText('Reconnecting…', { exact: false }).first().waitFor({ timeout: 20_000 });
    await shot(page, 'reconnecting');
  });
} finally {
  await tp.close().catch(() => undefined);
}

// Error state with Retry (a platform that refuses the key), and zoom 200%.
const tp2 = await startWidgetPlatform({ overrides: { engine } });
try {
  await scenario({}, async (page) => {
    await page.route('**/api/v1/auth/widget-token', (route) =>
      route.fulfill({ status: 401, contentType: 'application/json', body: JSON.stringify({ error: { code: 'invalid_api_key', message: 'The publishable key is not valid for this tenant.' } }) }),
    );
    await openPage(page, `${tp2.url}/`);
    await launcher(page).click();
    await chatDialog(page).getByRole('button', { name: 'Retry' }).waitFor({ timeout: 20_000 });
    await settleAnimations(chatDialog(page));
    await shot(page, 'error');
  });
  // Zoom 200% on a 1280×800 screen is a 640×400 CSS viewport.
  await scenario({ width: 640, height: 400 }, async (page) => {
    await openPage(page, `${tp2.url}/`);
    await shot(page, 'zoom200-closed');
    await launcher(page).click();
    await settleAnimations(chatDialog(page));
    await ask(page, 'How do I embed the widget?');
    await answered(page);
    await shot(page, 'zoom200');
  });
} finally {
  await tp2.close();
}
