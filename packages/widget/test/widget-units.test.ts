/** Unit tests of the widget's pure parts: words, colours, config, embed options, connection wording. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChatSnapshot } from '../src/chat-client-port.ts';
import { contrastRatio, normalizeColor, readableOn, textColorOn, DARK_SURFACE, DEFAULT_PRIMARY, LIGHT_SURFACE } from '../src/brand-color.ts';
import { describeConnection } from '../src/connection-view.ts';
import { readEmbedOptions } from '../src/embed-options.ts';
import { memoryStorage, prefixedStorage } from '../src/safe-storage.ts';
import { pickLanguage, stringsFor } from '../src/strings.ts';
import { resolveWidgetConfig } from '../src/widget-config.ts';

test('pickLanguage takes the first supported candidate, English otherwise', () => {
  assert.equal(pickLanguage('it-IT', 'en'), 'it');
  assert.equal(pickLanguage(null, 'de-DE', 'IT'), 'it');
  assert.equal(pickLanguage(undefined, 'fr', ''), 'en');
  assert.equal(stringsFor('it').openChat, 'Apri la chat');
  assert.deepEqual(Object.keys(stringsFor('it')).sort(), Object.keys(stringsFor('en')).sort());
});

test('colours: only hex is accepted, text colour keeps contrast', () => {
  assert.equal(normalizeColor('#ABC'), '#aabbcc');
  assert.equal(normalizeColor('#16a34a'), '#16a34a');
  for (const bad of ['red', 'url(x)', '#12345', '#1234567', 'expression(alert(1))', null, 42, '#fff; background: url(x)']) {
    assert.equal(normalizeColor(bad), DEFAULT_PRIMARY, String(bad));
  }
  assert.equal(textColorOn('#2563eb'), '#ffffff');
  assert.equal(textColorOn('#facc15'), '#111827');
  assert.equal(textColorOn('#ffffff'), '#111827');
  assert.equal(textColorOn('#000000'), '#ffffff');
});

test('brand colour as text is darkened or lightened to 4.5:1, and left alone when it already reads', () => {
  assert.equal(readableOn('#1d4ed8', LIGHT_SURFACE), '#1d4ed8');
  for (const brand of ['#facc15', '#ffffff', '#22d3ee', '#2563eb', '#000000', '#7c3aed']) {
    for (const surface of [LIGHT_SURFACE, DARK_SURFACE]) {
      const text = readableOn(brand, surface);
      assert.ok(contrastRatio(text, surface) >= 4.5, `${brand} on ${surface} became ${text}: ${contrastRatio(text, surface)}`);
    }
  }
  assert.equal(Math.round(contrastRatio('#ffffff', '#000000')), 21);
});

test('tenant config is checked and defaulted', () => {
  const config = resolveWidgetConfig({ assistant_name: '  Aida ', greeting: '', primary_color: 'javascript:x', position: 'top' as never, language: 'it', anonymous_widget: true });
  assert.deepEqual(config, { assistantName: 'Aida', greeting: null, primaryColor: DEFAULT_PRIMARY, position: 'bottom-right', language: 'it', anonymousWidget: true });
  assert.equal(resolveWidgetConfig({ position: 'bottom-left' }).position, 'bottom-left');
  assert.equal(resolveWidgetConfig(null).assistantName, null);
});

test('embed options come from the script tag; the API defaults to the script origin', () => {
  const script = (dataset: Record<string, string>, src = 'https://platform.example/widget.js') => ({ dataset, src }) as unknown as HTMLScriptElement;
  assert.deepEqual(readEmbedOptions(script({ tenant: 'acme', key: 'pk_1', lang: 'it' }), 'https://shop.example/page'), {
    tenantId: 'acme',
    publishableKey: 'pk_1',
    apiUrl: 'https://platform.example',
    language: 'it',
  });
  assert.equal((readEmbedOptions(script({ tenant: 'acme', api: 'https://api.example/base/' }), 'https://shop.example/') as { apiUrl: string }).apiUrl, 'https://api.example/base');
  assert.deepEqual(readEmbedOptions(script({}), 'https://shop.example/'), { error: 'the <script> tag needs data-tenant="your-tenant-id"' });
  assert.ok('error' in readEmbedOptions(null, 'https://shop.example/'));
  assert.ok('error' in readEmbedOptions(script({ tenant: 'a', api: 'http://[' }), 'https://shop.example/'));
});

test('prefixed storage keeps tenants and visitors apart and survives a throwing storage', () => {
  const base = memoryStorage();
  const a = prefixedStorage(base, 'miptech:a:');
  const b = prefixedStorage(base, 'miptech:b:');
  a.setItem('k', '1');
  assert.equal(b.getItem('k'), null);
  assert.equal(base.getItem('miptech:a:k'), '1');
  const broken = prefixedStorage({ getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('quota'); }, removeItem: () => { throw new Error('denied'); } }, 'p:');
  assert.equal(broken.getItem('k'), null);
  assert.doesNotThrow(() => broken.setItem('k', 'v'));
});

function snapshot(state: ChatSnapshot['connection']['state'], extra: Partial<ChatSnapshot> = {}, attempt = 0, reason: string | null = null): ChatSnapshot {
  return {
    connection: { state, code: null, reason, attempt },
    chatId: 'c1',
    messages: [],
    isTyping: false,
    streamingContent: '',
    error: null,
    lastSeq: 0,
    hasOlder: false,
    isLoadingOlder: false,
    ...extra,
  };
}

test('connection wording is honest in every state', () => {
  const en = stringsFor('en');
  assert.deepEqual(describeConnection(snapshot('ready'), true, en), { tone: 'ready', status: 'Online', banner: null, reason: null, code: null, icon: null, canRetry: false });
  assert.equal(describeConnection(snapshot('connecting'), true, en).status, 'Connecting…');
  assert.equal(describeConnection(null, true, en).status, 'Connecting…');
  assert.equal(describeConnection(snapshot('reconnecting', {}, 1), true, en).banner, en.stateReconnecting);
  // An attempt after a loss is still "reconnecting", not a flicker back to "connecting".
  assert.equal(describeConnection(snapshot('connecting', {}, 2), true, en).banner, en.stateReconnecting);
  const queued = { messages: [{ id: 'l1', clientMessageId: 'l1', role: 'user' as const, content: 'hi', status: 'queued' as const, sources: [], createdAt: '' }] };
  assert.equal(describeConnection(snapshot('reconnecting', queued, 1), true, en).banner, en.stateOffline);
  assert.equal(describeConnection(snapshot('connecting'), false, en).banner, en.stateOffline);
  assert.equal(describeConnection(snapshot('ready'), false, en).banner, en.stateOffline, 'the browser says offline before the socket notices');
  assert.equal(describeConnection(snapshot('reconnecting', {}, 1), true, en).icon, 'working');
  assert.equal(describeConnection(snapshot('ready'), false, en).icon, 'offline', 'waiting for the network is no spinner');
  // A terminal error: the reason in the visitor's language, the code for the site owner.
  const badKey = { error: { code: 'invalid_api_key', message: 'Invalid API key' } };
  const failed = describeConnection(snapshot('failed', badKey, 0, 'Invalid API key'), true, en);
  assert.deepEqual(failed, { tone: 'failed', status: 'Could not connect', banner: 'Could not connect', reason: en.reasonNotAllowed, code: 'invalid_api_key', icon: 'error', canRetry: true });
  const it = stringsFor('it');
  assert.equal(describeConnection(snapshot('failed', badKey), true, it).reason, it.reasonNotAllowed);
  const unreachable = { error: { code: 'service_unavailable', message: 'Gave up after 10 reconnect attempts' } };
  assert.equal(describeConnection(snapshot('failed', unreachable), true, en).reason, en.reasonUnavailable);
  assert.equal(describeConnection(snapshot('failed', { error: { code: 'something_new', message: 'x' } }), true, en).reason, en.reasonOther);
  // Without a code the client's reason is all there is: shown as it is.
  assert.equal(describeConnection(snapshot('failed', {}, 0, 'Cannot open the WebSocket'), true, en).reason, 'Cannot open the WebSocket');
  assert.equal(describeConnection(snapshot('closed'), true, en).canRetry, true);
});
