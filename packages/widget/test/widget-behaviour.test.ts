/**
 * Tenant look and words, languages, the terminal error state with Retry, and the JS API
 * (`MIPTechChat.open/close/toggle/identify/on`, calls queued before the script loaded).
 */
import { browserTest as test, useWidgetTestEnvironment } from './support/widget-test-environment.ts';
import assert from 'node:assert/strict';
import { createTestAnswerEngine } from '@miptech/testing/widget-answer-script.ts';
import { chatDialog, connectionStates, conversation, launcher, messageBox, openPage, recordConnectionStates, rewriteHtml } from './support/widget-page.ts';

const engine = createTestAnswerEngine({ delayMs: 5 });
const env = useWidgetTestEnvironment({ overrides: { engine } });

const WIDGET_TAG = '<script src="/widget.js"';

test('data-lang="it" and an Italian page get the Italian strings', async () => {
  const page = await env.browser.newPage();
  await rewriteHtml(page, `${env.tp.url}/`, (html) => html.replace(WIDGET_TAG, `${WIDGET_TAG} data-lang="it"`));
  await openPage(page, `${env.tp.url}/`);
  await launcher(page, 'Apri la chat').click();
  await messageBox(page, 'Messaggio').waitFor();
  await chatDialog(page).getByRole('button', { name: 'Invia' }).waitFor();
  await chatDialog(page).getByRole('button', { name: 'Chiudi la chat' }).waitFor();
  await page.close();

  const italianPage = await env.browser.newPage();
  await rewriteHtml(italianPage, `${env.tp.url}/`, (html) => html.replace('<html lang="en">', '<html lang="it-IT">'));
  await openPage(italianPage, `${env.tp.url}/`);
  await launcher(italianPage, 'Apri la chat').waitFor();
  await italianPage.close();
});

test("the tenant's name, greeting, colour and position come from the config endpoint", async () => {
  const { store, tenants } = env.tp.platform.services;
  const before = (await store.tenants.get(env.tp.tenantId))!.settings;
  await store.tenants.updateSettings(env.tp.tenantId, { assistantName: 'Aida', greeting: 'Welcome to **Acme**!', primaryColor: '#16a34a', position: 'bottom-left' });
  tenants.invalidate(env.tp.tenantId);
  try {
    const page = await env.browser.newPage();
    await openPage(page, `${env.tp.url}/`);
    const button = launcher(page);
    await button.waitFor();
    const box = (await button.boundingBox())!;
    assert.equal(Math.round(box.x), 20, 'bottom-left: 20 px from the left edge');
    assert.equal(await button.evaluate((element) => getComputedStyle(element).backgroundColor), 'rgb(22, 163, 74)');
    await button.click();
    await chatDialog(page).getByRole('heading', { name: 'Aida' }).waitFor();
    await conversation(page).getByText('Welcome to').waitFor();
    assert.equal(await conversation(page).getByRole('strong').first().textContent(), 'Acme', 'the greeting is Markdown too');
    await page.close();
  } finally {
    await store.tenants.updateSettings(env.tp.tenantId, {
      assistantName: before.assistantName,
      greeting: before.greeting,
      primaryColor: before.primaryColor,
      position: before.position,
    });
    tenants.invalidate(env.tp.tenantId);
  }
});

test('a wrong publishable key ends in a visible error with the reason and a Retry button, not a spinner', async () => {
  const page = await env.browser.newPage();
  await rewriteHtml(page, `${env.tp.url}/`, (html) => html.replace(/data-key="pk_[^"]*"/g, 'data-key="pk_wrong"'));
  await openPage(page, `${env.tp.url}/`);
  await recordConnectionStates(page);
  await launcher(page).click();
  const alert = chatDialog(page).getByRole('alert');
  await alert.getByText('Could not connect').waitFor();
  await alert.getByText('The chat is not enabled for this website.').waitFor();
  await alert.getByText('Code: invalid_api_key').waitFor();
  assert.equal(await chatDialog(page).locator('.spinner').count(), 0, 'no spinner in a terminal state');

  const countBefore = (await connectionStates(page)).length;
  await alert.getByRole('button', { name: 'Retry' }).click();
  await page.waitForFunction((count) => (window as unknown as { __states: string[] }).__states.length >= count + 2, countBefore);
  await alert.getByRole('button', { name: 'Retry' }).waitFor();
  const states = await connectionStates(page);
  assert.deepEqual(states.slice(countBefore), ['connecting', 'failed'], `Retry tried again: ${states.join(' → ')}`);
  await page.close();
});

test('the JS API opens, closes, toggles, reports events and replays calls queued before load', async () => {
  const page = await env.browser.newPage();
  // What a host page does before the widget script loads. (Not by rewriting the HTML: Chromium's
  // local-network checks block a WebSocket to 127.0.0.1 from an intercepted document.)
  await page.addInitScript(() => {
    (window as unknown as { MIPTechChat: unknown }).MIPTechChat = { q: [['open']] };
  });
  await openPage(page, `${env.tp.url}/`);
  await chatDialog(page).waitFor(); // opened by the queued call

  await page.evaluate(() => {
    const w = window as unknown as { __events: string[]; MIPTechChat: { on(type: string, cb: (payload: unknown) => void): () => void } };
    w.__events = [];
    for (const type of ['open', 'close', 'message', 'answer']) {
      w.MIPTechChat.on(type, (payload) => w.__events.push(type === 'answer' ? `answer:${(payload as { status: string }).status}` : type));
    }
  });
  const api = (method: string, ...args: unknown[]) =>
    page.evaluate(({ method, args }) => (window as unknown as Record<string, Record<string, (...a: unknown[]) => void>>).MIPTechChat![method]!(...args), { method, args });

  await api('close');
  await chatDialog(page).waitFor({ state: 'hidden' });
  await api('toggle');
  await chatDialog(page).waitFor();
  await messageBox(page).fill('Events, please');
  await messageBox(page).press('Enter');
  await conversation(page).getByRole('link', { name: 'widget guide' }).waitFor();
  await page.waitForFunction(() => (window as unknown as { __events: string[] }).__events.includes('answer:complete'));
  await api('toggle');
  await chatDialog(page).waitFor({ state: 'hidden' });
  const events = await page.evaluate(() => (window as unknown as { __events: string[] }).__events);
  assert.deepEqual(events, ['close', 'open', 'message', 'answer:complete', 'close']);
  await page.close();
});

test('identify({token}) switches to the host page’s own visitor token', async () => {
  const page = await env.browser.newPage();
  await openPage(page, `${env.tp.url}/`);
  const token = await env.tp.mintToken({ sub: 'signed-in-user-42' });
  await page.evaluate((value) => (window as unknown as { MIPTechChat: { identify(i: { token: string }): void } }).MIPTechChat.identify({ token: value }), token);
  await launcher(page).click();
  await messageBox(page).fill('Who am I?');
  await messageBox(page).press('Enter');
  await conversation(page).getByRole('link', { name: 'widget guide' }).waitFor();
  const chatId = engine.chatIds[engine.questions.lastIndexOf('Who am I?')];
  assert.ok(chatId);
  const chat = await env.tp.platform.services.store.chats.get(env.tp.tenantId, chatId);
  assert.equal(chat?.visitorId, 'signed-in-user-42');
  await page.close();
});

test('a visitor whose identity was lost starts a new conversation instead of hitting an error', async () => {
  const page = await env.browser.newPage();
  await openPage(page, `${env.tp.url}/`);
  await launcher(page).click();
  await messageBox(page).fill('Before the loss');
  await messageBox(page).press('Enter');
  await conversation(page).getByRole('link', { name: 'widget guide' }).last().waitFor();
  await conversation(page).getByText('Before the loss').waitFor();

  // The visitor token is gone (cleared, or expired beyond renewal) but the session id is still stored:
  // the server answers session_conflict for that session under the new visitor identity.
  await page.evaluate((tenant) => localStorage.removeItem(`miptech:${tenant}:visitor_token`), env.tp.tenantId);
  await page.reload();
  await chatDialog(page).waitFor();
  await messageBox(page).fill('After the loss');
  await messageBox(page).press('Enter');
  await conversation(page).getByText('After the loss').waitFor();
  await chatDialog(page).getByText('Online').waitFor();
  await page.waitForFunction(() => document.querySelector('miptech-chat')?.shadowRoot?.querySelector('[data-status="complete"]') !== null);
  assert.equal(await conversation(page).getByText('Before the loss').count(), 0, 'a new conversation');
  assert.equal(await chatDialog(page).getByRole('alert').count(), 0, 'no error shown');
  assert.equal(engine.questions.filter((q) => q === 'After the loss').length, 1, 'the message was answered once');
  await page.close();
});

test('dark colour scheme and reduced motion are respected', async () => {
  const page = await env.browser.newPage({ colorScheme: 'dark', reducedMotion: true });
  await openPage(page, `${env.tp.url}/`);
  await launcher(page).click();
  const dialog = chatDialog(page);
  await dialog.waitFor();
  const style = await dialog.evaluate((element) => {
    const computed = getComputedStyle(element);
    return { background: computed.backgroundColor, animation: Number.parseFloat(computed.animationDuration) };
  });
  assert.equal(style.background, 'rgb(27, 30, 36)', 'dark surface');
  assert.ok(style.animation < 0.01, `no opening animation, got ${style.animation}s`);
  await page.close();
});

test('going offline says so, and the chat comes back online by itself', async () => {
  const page = await env.browser.newPage();
  await openPage(page, `${env.tp.url}/`);
  await launcher(page).click();
  const dialog = chatDialog(page);
  await dialog.getByText('Online').waitFor();
  await env.browser.context.setOffline(true);
  try {
    await dialog.getByRole('status').getByText('Offline — your message will be sent when the connection returns').waitFor();
    assert.equal(await dialog.locator('.spinner').count(), 0, 'waiting for the network is not shown as work under way');
    await messageBox(page).fill('Sent while offline');
    await messageBox(page).press('Enter');
    // Whatever the client's state for it (queued, or sending on a socket that has not noticed yet), the
    // visitor is told it waits for the network.
    await conversation(page).locator('.row.user.waiting').getByText('Sent while offline').waitFor();
    await conversation(page).getByText('Will be sent when the connection returns').waitFor();
  } finally {
    await env.browser.context.setOffline(false);
  }
  await dialog.getByText('Online').waitFor({ timeout: 30_000 });
  await conversation(page).locator('.row.user:not(.waiting)').getByText('Sent while offline').waitFor({ timeout: 30_000 });
  await page.waitForFunction(() => document.querySelector('miptech-chat')?.shadowRoot?.querySelector('.row.assistant[data-status="complete"]') !== null, null, { timeout: 30_000 });
  assert.equal(engine.questions.filter((q) => q === 'Sent while offline').length, 1, 'delivered once after the connection returned');
  await page.close();
});
