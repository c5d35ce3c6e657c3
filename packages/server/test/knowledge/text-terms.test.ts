import { test } from 'node:test';
import assert from 'node:assert/strict';
import { composeExtractiveAnswer } from '../../src/engines/compose-extractive-answer.ts';
import { expectedAnswerShapes } from '../../src/engines/expected-answer-shape.ts';
import type { Passage } from '../../src/store/knowledge-index.ts';
import { extractTerms, questionKeywords, questionTerms, stemTerm } from '../../src/text/text-terms.ts';

test('stemming lets word forms meet', () => {
  assert.equal(stemTerm('reconnects'), stemTerm('reconnect'));
  assert.equal(stemTerm('reconnecting'), stemTerm('reconnect'));
  assert.equal(stemTerm('embedding'), stemTerm('embed'));
  assert.equal(stemTerm('policies'), stemTerm('policy'));
  assert.equal(stemTerm('4401'), '4401');
  assert.deepEqual(extractTerms('How do I embed the widget?'), ['embed', 'widget']);
  assert.deepEqual(extractTerms('session_id'), ['session', 'id', 'session_id']);
});

test('question keywords drop stop words and add everyday paraphrases', () => {
  assert.deepEqual(questionKeywords('What is the weather like in Paris?'), ['weather', 'like', 'paris']);
  const heavy = questionKeywords('How heavy is the city bike?');
  assert.deepEqual(heavy.slice(0, 3), ['heavy', 'city', 'bike']);
  assert.ok(heavy.includes('weight'));
  assert.ok(questionKeywords('Can I send it back?').includes('return'));
  assert.ok(questionKeywords('Can a mechanic come to my house?').includes('come'), 'English "come" is not an Italian stop word here');
  const terms = questionTerms('How much does it cost?');
  assert.deepEqual(terms.map((term) => term.term), ['cost']);
  assert.ok(terms[0]?.alternatives.includes(stemTerm('price')));
});

test('the answer shape a question asks for', () => {
  assert.ok(expectedAnswerShapes('How much does the Trail cost?').some((shape) => shape.test('It costs €3,499.')));
  assert.ok(expectedAnswerShapes('How long does delivery take?').some((shape) => shape.test('takes 3–5 working days')));
  assert.ok(expectedAnswerShapes('When is the shop open?').some((shape) => shape.test('Monday to Friday, 9:00–17:00')));
  assert.deepEqual(expectedAnswerShapes('Tell me about the company'), []);
});

test('the sentence with the asked-for fact wins over one that only names the topic', () => {
  const passage = (text: string, heading: string, score: number): Passage => ({ documentId: heading, chunkId: heading, title: 'Bikes', url: null, heading, text, score });
  const answer = composeExtractiveAnswer('How much does the Trail cost?', [
    passage('The Trail is built for forest paths. It has wide tyres and a suspension fork.\n\nThe Trail costs €3,499 including lights.', 'Trail', 5),
    passage('The Trail is our most popular bike among riders in the hills.', 'Popular bikes', 4),
  ]);
  assert.ok(answer);
  assert.match(answer.text, /€3,499/);
  assert.deepEqual(answer.used.map((used) => used.passage.heading), ['Trail']);
});
