import { test } from 'node:test';
import assert from 'node:assert/strict';
import { citedSources, passageToSource } from '../../src/engines/cited-sources.ts';
import { makePassage, PASSAGES } from './engine-fixtures.ts';

const ids = (answer: string): Array<string | undefined> => citedSources(answer, PASSAGES).map((source) => source.document_id);

test('the cited passages, in order of first citation, without repeats', () => {
  assert.deepEqual(ids('Returns take 30 days [2]. Shipping is fast [1]. Again [2].'), ['doc-2', 'doc-1']);
  assert.deepEqual(ids('See [3][1].'), ['doc-3', 'doc-1']);
  assert.deepEqual(ids('Both [1, 3] and [2,3].'), ['doc-1', 'doc-3', 'doc-2']);
});

test('no citation, or only numbers outside the sources: every passage given', () => {
  assert.deepEqual(ids('We ship quickly.'), ['doc-1', 'doc-2', 'doc-3']);
  assert.deepEqual(ids('See [7] and [0].'), ['doc-1', 'doc-2', 'doc-3']);
  assert.deepEqual(citedSources('Anything [1]', []), []);
});

test('brackets that are not citations are ignored', () => {
  assert.deepEqual(ids('Use array[i] or [link](x) [2]'), ['doc-2']);
});

test('the wire form carries title, url, a bounded snippet, document id and score', () => {
  const long = makePassage(4, `${'Lorem   ipsum\n'.repeat(60)}end`);
  const source = passageToSource(long);
  assert.equal(source.title, 'Document 4');
  assert.equal(source.url, 'https://acme.test/doc-4');
  assert.equal(source.document_id, 'doc-4');
  assert.equal(source.score, 6);
  assert.ok(source.snippet.length <= 240);
  assert.ok(source.snippet.endsWith('…'));
  assert.doesNotMatch(source.snippet, /\s{2}|\n/);
  assert.equal(passageToSource(PASSAGES[1]!).snippet, 'Returns are accepted for 30 days after delivery.');
});
