import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AnswerPart, AnswerRequest } from '../../src/engines/answer-engine.ts';
import { createExtractiveEngine, splitIntoWordChunks } from '../../src/engines/extractive-engine.ts';
import { detectSmallTalk } from '../../src/engines/small-talk.ts';
import type { Passage } from '../../src/store/knowledge-index.ts';
import { collectAnswer, makeTenant, within } from '../engines/engine-fixtures.ts';

const tenant = makeTenant();

function passage(partial: Partial<Passage> & { text: string }): Passage {
  return { documentId: 'doc', chunkId: 'c', title: 'Doc', url: null, heading: null, score: 1, ...partial };
}

const widgetPassage = passage({
  documentId: 'widget',
  chunkId: 'w1',
  title: 'Embedding the chat widget',
  url: 'https://example.test/docs/widget',
  heading: 'Embedding the chat widget > Script tag',
  text: [
    'The widget is one script served by the platform at `/widget.js`.',
    '',
    'To embed the widget, add this tag before the closing `</body>` of every page:',
    '',
    '```html',
    '<script src="https://PLATFORM/widget.js" data-tenant="miptech-company" data-key="pk_live_123" async></script>',
    '```',
    '',
    'The widget reads its colours and greeting from the tenant settings. Nothing else has to be configured.',
  ].join('\n'),
});

const closePassage = passage({
  documentId: 'protocol',
  chunkId: 'p1',
  title: 'WebSocket close codes',
  url: null,
  heading: 'Close codes',
  text: [
    'When the socket closes, the close code tells the client whether to reconnect.',
    '',
    '- Do not reconnect after `1000`, `1008`, `4400`, `4401`, `4403` or `4408`.',
    '- Reconnect with backoff after `1001`, `1006`, `1011` or `1012`.',
  ].join('\n'),
});

const unrelatedPassage = passage({
  documentId: 'billing',
  chunkId: 'b1',
  title: 'Invoices',
  text: 'Invoices are sent on the first day of each month. Payment is due within thirty days.',
});

function request(question: string, passages: Passage[], signal = new AbortController().signal): AnswerRequest {
  return { tenant, chatId: 'chat', question, history: [], passages, signal };
}

async function collect(parts: AsyncIterable<AnswerPart>) {
  return collectAnswer({ name: 'under-test', stream: () => parts }, request('', []));
}

test('word chunks carry their leading whitespace and concatenate back to the text', () => {
  const text = 'Add this:\n\n```html\n<script async></script>\n```\n\nDone.';
  const chunks = splitIntoWordChunks(text);
  assert.equal(chunks.join(''), text);
  for (const chunk of chunks) assert.match(chunk, /^\s*\S+$/);
  assert.deepEqual(splitIntoWordChunks('one two'), ['one', ' two']);
});

test('a greeting gets a natural reply with the assistant name and no sources', async () => {
  const engine = createExtractiveEngine();
  const result = await collect(engine.stream(request('Hello there!', [closePassage])));
  assert.match(result.text, /Ada/);
  assert.match(result.text, /help/i);
  assert.deepEqual(result.sources, []);
  assert.equal(result.usage?.model, 'extractive');
});

test('thanks and goodbyes are small talk, questions are not', async () => {
  assert.equal(detectSmallTalk('thanks a lot!')?.kind, 'thanks');
  assert.equal(detectSmallTalk('Thank you Ada, that was great', 'Ada')?.kind, 'thanks');
  assert.equal(detectSmallTalk('grazie mille')?.language, 'it');
  assert.equal(detectSmallTalk('bye!')?.kind, 'goodbye');
  assert.equal(detectSmallTalk('good morning')?.kind, 'greeting');
  assert.equal(detectSmallTalk('hi, how do I embed the widget?'), null);
  assert.equal(detectSmallTalk('hello world program in python'), null);
  assert.equal(detectSmallTalk('which close codes should not reconnect'), null);
  const engine = createExtractiveEngine();
  const result = await collect(engine.stream(request('Thanks!', [])));
  assert.match(result.text, /welcome/i);
});

test('a question is answered from the matching passage, keeping the code sample intact', async () => {
  const engine = createExtractiveEngine();
  const result = await collect(engine.stream(request('How do I embed the widget?', [widgetPassage, unrelatedPassage])));
  assert.match(result.text, /```html\n<script src="https:\/\/PLATFORM\/widget\.js" data-tenant="miptech-company" data-key="pk_live_123" async><\/script>\n```/);
  assert.match(result.text, /add this tag/);
  assert.doesNotMatch(result.text, /Invoices/);
  for (const chunk of result.texts) assert.match(chunk, /^\s*\S+$/);
  assert.ok(result.sources);
  assert.deepEqual(result.sources.map((source) => source.title), ['Embedding the chat widget']);
  assert.equal(result.sources[0]?.url, 'https://example.test/docs/widget');
  assert.ok((result.sources[0]?.snippet.length ?? 0) > 10);
  assert.equal(result.usage?.model, 'extractive');
  assert.ok((result.usage?.promptTokens ?? 0) > 0);
  assert.ok((result.usage?.completionTokens ?? 0) > 0);
});

test('a list that answers the question is kept whole', async () => {
  const engine = createExtractiveEngine();
  const result = await collect(engine.stream(request('Which close codes should not reconnect?', [closePassage, widgetPassage])));
  for (const code of ['1000', '1008', '4400', '4401', '4403', '4408']) assert.ok(result.text.includes(code), code);
  assert.deepEqual(result.sources?.map((source) => source.title), ['WebSocket close codes']);
});

test('the answer is short, not a dump of every passage', async () => {
  const long = passage({
    title: 'Long',
    text: Array.from({ length: 40 }, (_, index) => `Sentence ${index} talks about the widget colour number ${index} in some detail.`).join(' '),
  });
  const engine = createExtractiveEngine();
  const result = await collect(engine.stream(request('What colour is the widget?', [long])));
  assert.ok(result.text.split(/\s+/).length <= 160, result.text);
});

test('no matching passage gives an honest fallback', async () => {
  const engine = createExtractiveEngine();
  for (const passages of [[], [unrelatedPassage]]) {
    const result = await collect(engine.stream(request('How do I reset my router password?', passages)));
    assert.match(result.text, /don't know/);
    assert.match(result.text, /rephras/);
    assert.match(result.text, /Acme Corp/);
    assert.deepEqual(result.sources, []);
  }
});

test('aborting ends the stream at once, even in the middle of a delay', async () => {
  const engine = createExtractiveEngine({ chunkDelayMs: 60_000 });
  const controller = new AbortController();
  const iterator = engine.stream(request('How do I embed the widget?', [widgetPassage], controller.signal))[Symbol.asyncIterator]();
  const pending = iterator.next();
  controller.abort();
  const first = await within(pending, 5_000, 'the end of the aborted stream');
  assert.deepEqual(first, { done: true, value: undefined });
});

test('with a delay, chunks still arrive in order and complete', async () => {
  const engine = createExtractiveEngine({ chunkDelayMs: 1 });
  const result = await collect(engine.stream(request('hi', [])));
  assert.match(result.text, /^Hello! I'm Ada\./);
});
