/**
 * The widget's look, measured in the browser: text and control contrast (WCAG AA) in light and dark
 * and with a pale tenant colour, a visible focus ring on every control, nothing wider than a 360 px
 * phone, a full-screen panel at 200 % zoom, and a conversation that stays scrolled to its end.
 */
import { browserTest as test, useWidgetTestEnvironment } from './support/widget-test-environment.ts';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { createTestAnswerEngine, TEST_SOURCES } from '@miptech/testing/widget-answer-script.ts';
import { chatDialog, conversation, focusedInWidget, launcher, messageBox, openPage, screenshotPath, settleAnimations } from './support/widget-page.ts';

const env = useWidgetTestEnvironment({ overrides: { engine: createTestAnswerEngine({ delayMs: 5 }) } });

const LONG_WORD = `https://example.com/${'x'.repeat(160)}`;

async function askAndWait(page: Page, text: string, answers: number): Promise<void> {
  await messageBox(page).fill(text);
  await messageBox(page).press('Enter');
  await conversation(page).getByText(TEST_SOURCES[1]!.title).nth(answers - 1).waitFor();
}

interface ContrastReport {
  [pair: string]: number;
}

/** Runs in the page: contrast ratios of the widget's key colour pairs, from computed styles. */
function measureContrast(): ContrastReport {
  const root = document.querySelector('miptech-chat')!.shadowRoot!;
  // Computed colours come as rgb()/rgba(), or as color(srgb r g b) (0 to 1) for color-mix() results.
  const rgb = (value: string): [number, number, number] => {
    const legacy = value.match(/rgba?\(([^)]+)\)/);
    const modern = value.match(/color\(srgb ([^)]+)\)/);
    if (!legacy && !modern) throw new Error(`not an rgb colour: ${value}`);
    const scale = legacy ? 1 : 255;
    const [r, g, b] = (legacy ?? modern)![1]!.trim().split(/[ ,/]+/).map((channel) => Number(channel) * scale) as [number, number, number];
    return [r, g, b];
  };
  const luminance = (value: string): number => {
    const [r, g, b] = rgb(value).map((channel) => {
      const unit = channel / 255;
      return unit <= 0.03928 ? unit / 12.92 : ((unit + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const ratio = (a: string, b: string): number => {
    const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
    return Math.round(((light + 0.05) / (dark + 0.05)) * 100) / 100;
  };
  const style = (selector: string): CSSStyleDeclaration => {
    const element = root.querySelector(selector);
    if (!element) throw new Error(`missing ${selector}`);
    return getComputedStyle(element);
  };
  const bubble = style('.row.assistant:not(.greeting) .bubble').backgroundColor;
  const log = style('.log').backgroundColor;
  const panel = style('.panel').backgroundColor;
  const header = style('.header');
  /** A custom property of .root as a computed rgb() colour. */
  const variable = (name: string): string => {
    const probe = document.createElement('span');
    probe.style.color = `var(${name})`;
    root.querySelector('.root')!.append(probe);
    const colour = getComputedStyle(probe).color;
    probe.remove();
    return colour;
  };
  return {
    'answer text on bubble': ratio(style('.row.assistant:not(.greeting) .bubble p').color, bubble),
    'link on bubble': ratio(style('.bubble a').color, bubble),
    'user text on user bubble': ratio(style('.row.user .bubble').color, style('.row.user .bubble').backgroundColor),
    // The header is a gradient from the primary colour to a darker shade of it: both ends.
    'header text on header': Math.min(ratio(header.color, variable('--primary')), ratio(header.color, variable('--header-end'))),
    'sources label on log': ratio(style('.sources h3').color, log),
    'footer on panel': ratio(style('.footer').color, panel),
    'placeholder on text box': ratio(getComputedStyle(root.querySelector('textarea')!, '::placeholder').color, style('.field').backgroundColor),
    'send icon on send button': ratio(style('.send').color, style('.send').backgroundColor),
    'text box border on panel (3:1)': ratio(style('.field').borderTopColor, panel),
    'focus ring on panel (3:1)': ratio(variable('--ring'), panel),
  };
}

/**
 * Evaluates `measureContrast` in the page. It is passed as source text with a stand-in for the
 * `__name` helper that tsx's transform adds to named inner functions (not defined in the page).
 */
function contrastIn(page: Page): Promise<ContrastReport> {
  return page.evaluate(`(() => { const __name = (f) => f; return (${measureContrast.toString()})(); })()`) as Promise<ContrastReport>;
}

function assertContrast(report: ContrastReport, label: string): void {
  for (const [pair, value] of Object.entries(report)) {
    const minimum = pair.endsWith('(3:1)') ? 3 : 4.5;
    assert.ok(value >= minimum, `${label}: ${pair} is ${value}:1, needs ${minimum}:1`);
  }
}

for (const colorScheme of ['light', 'dark'] as const) {
  test(`key colours meet WCAG AA contrast (${colorScheme})`, async () => {
    const page = await env.browser.newPage({ colorScheme });
    await openPage(page, `${env.tp.url}/`);
    await launcher(page).click();
    await askAndWait(page, 'Contrast, please', 1);
    await messageBox(page).fill('typed'); // the send button's enabled colours
    assertContrast(await contrastIn(page), colorScheme);
    await page.close();
  });
}

test('a pale tenant colour still gives readable links, buttons and focus rings', async () => {
  const { store, tenants } = env.tp.platform.services;
  const before = (await store.tenants.get(env.tp.tenantId))!.settings;
  await store.tenants.updateSettings(env.tp.tenantId, { primaryColor: '#facc15' });
  tenants.invalidate(env.tp.tenantId);
  try {
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await env.browser.newPage({ colorScheme });
      await openPage(page, `${env.tp.url}/`);
      await launcher(page).click();
      await askAndWait(page, 'Yellow brand', 1);
      await messageBox(page).fill('typed');
      assertContrast(await contrastIn(page), `#facc15 ${colorScheme}`);
      await page.close();
    }
  } finally {
    await store.tenants.updateSettings(env.tp.tenantId, { primaryColor: before.primaryColor });
    tenants.invalidate(env.tp.tenantId);
  }
});

test('every control in the panel shows a focus ring of at least 2 px', async () => {
  // Reduced motion: the text box's ring is read from computed styles, which must not be mid-transition.
  const page = await env.browser.newPage({ reducedMotion: true });
  await openPage(page, `${env.tp.url}/`);
  await launcher(page).focus();
  const launcherRing = await launcher(page).evaluate((element) => getComputedStyle(element).outlineStyle !== 'none' && Number.parseFloat(getComputedStyle(element).outlineWidth) >= 2);
  assert.ok(launcherRing, 'the launcher shows a focus ring');
  await page.keyboard.press('Enter');
  await askAndWait(page, 'Focus, please', 1);

  const seen = new Map<string, string>();
  for (let presses = 0; presses < 14; presses += 1) {
    await page.keyboard.press('Tab');
    const name = (await focusedInWidget(page)) ?? 'nothing';
    const ring = await page.evaluate(() => {
      const active = document.querySelector('miptech-chat')!.shadowRoot!.activeElement as HTMLElement;
      // The text box draws its ring on its field (:focus-within), everything else on itself.
      const target = active.tagName === 'TEXTAREA' ? active.closest('.field')! : active;
      const style = getComputedStyle(target);
      if (active.tagName === 'TEXTAREA') {
        const probe = document.createElement('span');
        probe.style.color = 'var(--ring)';
        target.append(probe);
        const ring = getComputedStyle(probe).color;
        probe.remove();
        return style.boxShadow !== 'none' && style.borderTopColor === ring ? 'ok' : `field ${style.boxShadow} ${style.borderTopColor} ${ring}`;
      }
      return style.outlineStyle !== 'none' && Number.parseFloat(style.outlineWidth) >= 2 ? 'ok' : `outline ${style.outlineStyle} ${style.outlineWidth}`;
    });
    seen.set(name, ring);
  }
  for (const [name, ring] of seen) assert.equal(ring, 'ok', `${name} has a visible focus ring`);
  for (const control of ['panel:button:Close chat', 'panel:textarea:Message', 'panel:a:widget guide', 'panel:div:Conversation']) {
    assert.ok(seen.has(control), `Tab reached ${control}: ${[...seen.keys()].join(', ')}`);
  }
  await page.close();
});

test('nothing is wider than a 360 px phone, even with long unbroken words', async () => {
  const page = await env.browser.newPage({ width: 360, height: 740 });
  await openPage(page, `${env.tp.url}/`);
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'the demo page fits');
  await launcher(page).click();
  await askAndWait(page, `A long link: ${LONG_WORD} and Donaudampfschifffahrtsgesellschaftskapitänswitwenrentenversicherung`, 1);
  await settleAnimations(chatDialog(page));
  const box = (await chatDialog(page).boundingBox())!;
  assert.deepEqual([box.x, box.y, box.width, box.height].map(Math.round), [0, 0, 360, 740], 'the panel is full screen');
  const overflow = await page.evaluate(() => {
    const root = document.querySelector('miptech-chat')!.shadowRoot!;
    const log = root.querySelector('.log') as HTMLElement;
    const wide = [...root.querySelectorAll<HTMLElement>('.panel *')].filter((element) => element.getBoundingClientRect().right > 360.5).map((element) => element.className || element.tagName);
    return { page: document.documentElement.scrollWidth, log: log.scrollWidth - log.clientWidth, wide };
  });
  assert.deepEqual(overflow, { page: 360, log: 0, wide: [] });
  await page.screenshot({ path: screenshotPath('widget-phone-long-words') });
  await page.close();
});

test('at 200 % zoom (a 640×400 viewport) the panel takes the whole screen', async () => {
  const page = await env.browser.newPage({ width: 640, height: 400 });
  await openPage(page, `${env.tp.url}/`);
  await launcher(page).click();
  await settleAnimations(chatDialog(page));
  const box = (await chatDialog(page).boundingBox())!;
  assert.deepEqual([box.x, box.y, box.width, box.height].map(Math.round), [0, 0, 640, 400]);
  await page.close();
});

test('the conversation stays scrolled to its end: the sources of an answer and the next question are in view', async () => {
  const page = await env.browser.newPage();
  await openPage(page, `${env.tp.url}/`);
  await launcher(page).click();
  const atEnd = () =>
    page.evaluate(() => {
      const log = document.querySelector('miptech-chat')!.shadowRoot!.querySelector('.log') as HTMLElement;
      return log.scrollHeight - log.scrollTop - log.clientHeight < 2;
    });
  for (let turn = 1; turn <= 3; turn += 1) {
    await askAndWait(page, `Question number ${turn}`, turn);
    assert.ok(await atEnd(), `after answer ${turn} the log shows its end (the sources)`);
  }
  // Sending always brings the visitor's own message into view, even after scrolling up to read.
  await conversation(page).evaluate((log) => (log.scrollTop = 0));
  await messageBox(page).fill('Scrolled up and asking');
  await messageBox(page).press('Enter');
  await conversation(page).getByText('Scrolled up and asking').waitFor();
  assert.ok(await conversation(page).getByText('Scrolled up and asking').isVisible());
  assert.ok(
    await conversation(page).evaluate((log) => {
      const question = [...log.querySelectorAll('.row.user')].pop()!.getBoundingClientRect();
      const view = log.getBoundingClientRect();
      return question.top >= view.top && question.bottom <= view.bottom;
    }),
    'the sent question is inside the visible part of the log',
  );
  await page.close();
});
