import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ConversationTurn } from '../../src/engines/answer-engine.ts';
import { estimateTokens } from '../../src/engines/estimate-tokens.ts';
import { buildPrompt, defaultSystemPrompt } from '../../src/engines/prompt-builder.ts';
import { makePassage, makeRequest, makeTenant, PASSAGES } from './engine-fixtures.ts';

test('default instructions name the assistant, then the passages follow as numbered sources', () => {
  const prompt = buildPrompt(makeRequest());
  assert.ok(prompt.system.startsWith(defaultSystemPrompt('Ada')));
  assert.match(prompt.system, /You are Ada/);
  assert.match(prompt.system, /only the numbered sources/);
  assert.match(prompt.system, /\[1\]/);
  for (const [index, passage] of PASSAGES.entries()) {
    assert.ok(prompt.system.includes(`[${index + 1}] ${passage.title}`));
    assert.ok(prompt.system.includes(passage.text));
    assert.ok(prompt.system.includes(`URL: ${passage.url}`));
  }
  assert.ok(prompt.system.includes('Section: Shipping > Times'));
  assert.ok(prompt.system.indexOf('[1] Document 1') < prompt.system.indexOf('[2] Document 2'));
  assert.deepEqual(prompt.messages, [{ role: 'user', content: 'How fast do you ship?' }]);
  assert.deepEqual(prompt.passages, PASSAGES);
  assert.ok(prompt.estimatedTokens >= estimateTokens(prompt.system));
});

test("the tenant's system prompt replaces the default, and the sources are still appended", () => {
  const prompt = buildPrompt(makeRequest({ tenant: makeTenant({ systemPrompt: 'You are Bob from Acme. Be brief.' }) }), {
    systemPrompt: 'You are Bob from Acme. Be brief.',
  });
  assert.ok(prompt.system.startsWith('You are Bob from Acme. Be brief.'));
  assert.doesNotMatch(prompt.system, /You are Ada/);
  assert.match(prompt.system, /\[3\] Document 3/);
});

test('no passages: the model is told there are no sources', () => {
  const prompt = buildPrompt(makeRequest({ passages: [] }));
  assert.match(prompt.system, /Sources: none were found/);
  assert.deepEqual(prompt.passages, []);
});

test('history is kept in order when it fits', () => {
  const history: ConversationTurn[] = [
    { role: 'user', content: 'Hi' },
    { role: 'assistant', content: 'Hello! How can I help?' },
  ];
  const prompt = buildPrompt(makeRequest({ history }));
  assert.deepEqual(prompt.messages, [...history, { role: 'user', content: 'How fast do you ship?' }]);
});

test('over the budget, the oldest turns are dropped first and the conversation still opens with the visitor', () => {
  const history: ConversationTurn[] = [];
  for (let turn = 1; turn <= 10; turn += 1) {
    history.push({ role: 'user', content: `Question ${turn}: ${'word '.repeat(40)}` });
    history.push({ role: 'assistant', content: `Answer ${turn}: ${'word '.repeat(40)}` });
  }
  const unlimited = buildPrompt(makeRequest({ history }), { tokenBudget: 100_000 });
  assert.equal(unlimited.messages.length, 21);

  const budget = unlimited.estimatedTokens - 300;
  const trimmed = buildPrompt(makeRequest({ history }), { tokenBudget: budget });
  assert.ok(trimmed.estimatedTokens <= budget, `${trimmed.estimatedTokens} <= ${budget}`);
  assert.ok(trimmed.messages.length < 21 && trimmed.messages.length > 1);
  assert.equal(trimmed.messages[0]?.role, 'user');
  // What is kept is the most recent part of the history, unchanged and in order.
  const keptHistory = trimmed.messages.slice(0, -1);
  assert.deepEqual(keptHistory, history.slice(history.length - keptHistory.length).map((t) => ({ ...t, content: t.content.trim() })));
  assert.match(keptHistory.at(-1)?.content ?? '', /^Answer 10/);
  assert.equal(trimmed.messages.at(-1)?.content, 'How fast do you ship?');
  // Everything retrieved still fits, so no passage was dropped.
  assert.equal(trimmed.passages.length, 3);
});

test('a tight budget drops all history, then the lowest-ranked passages, never the best one or the question', () => {
  const history: ConversationTurn[] = [
    { role: 'user', content: 'Earlier question' },
    { role: 'assistant', content: 'Earlier answer' },
  ];
  const long = (number: number) => makePassage(number, `Passage ${number}. ${'lorem ipsum dolor '.repeat(60)}`);
  const prompt = buildPrompt(makeRequest({ history, passages: [long(1), long(2), long(3)] }), { tokenBudget: 400 });
  assert.deepEqual(prompt.messages, [{ role: 'user', content: 'How fast do you ship?' }]);
  assert.ok(prompt.passages.length < 3);
  assert.equal(prompt.passages[0]?.documentId, 'doc-1');
  assert.doesNotMatch(prompt.system, /\[3\]/);

  const tiny = buildPrompt(makeRequest({ passages: [long(1), long(2)] }), { tokenBudget: 10 });
  assert.deepEqual(tiny.passages.map((p) => p.documentId), ['doc-1']);
});

test('the turn limit caps history even when the budget would allow more', () => {
  const history: ConversationTurn[] = Array.from({ length: 30 }, (_, index) => ({
    role: index % 2 === 0 ? 'user' : 'assistant',
    content: `turn ${index}`,
  }));
  const prompt = buildPrompt(makeRequest({ history }), { maxHistoryTurns: 4 });
  assert.deepEqual(
    prompt.messages.map((m) => m.content),
    ['turn 26', 'turn 27', 'turn 28', 'turn 29', 'How fast do you ship?'],
  );
});

test('empty turns are dropped and same-role neighbours merged, so roles alternate', () => {
  const history: ConversationTurn[] = [
    { role: 'assistant', content: 'Hi, I am Ada!' },
    { role: 'user', content: 'First question' },
    { role: 'assistant', content: '   ' },
    { role: 'user', content: 'Asked again' },
    { role: 'assistant', content: 'An answer' },
    { role: 'user', content: 'Unanswered' },
  ];
  const prompt = buildPrompt(makeRequest({ history }));
  assert.deepEqual(prompt.messages, [
    { role: 'user', content: 'First question\n\nAsked again' },
    { role: 'assistant', content: 'An answer' },
    { role: 'user', content: 'Unanswered\n\nHow fast do you ship?' },
  ]);
});
