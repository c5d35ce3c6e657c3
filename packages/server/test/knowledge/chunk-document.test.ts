import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chunkDocument } from '../../src/knowledge/chunk-document.ts';
import { parseMarkdownBlocks } from '../../src/knowledge/markdown-blocks.ts';

test('markdown blocks: headings, code, lists, tables, paragraphs', () => {
  const blocks = parseMarkdownBlocks('# A\n\ntext\nmore\n\n```js\nx\n\ny\n```\n- one\n  cont\n- two\n\n| a | b |\n|---|---|\n\n> quote');
  assert.deepEqual(
    blocks.map((block) => block.kind),
    ['heading', 'paragraph', 'code', 'list', 'table', 'quote'],
  );
  const code = blocks[2];
  assert.equal(code?.text, '```js\nx\n\ny\n```');
  const list = blocks[3];
  assert.ok(list?.kind === 'list');
  assert.deepEqual(list.items, ['- one\n  cont', '- two']);
});

test('chunks follow headings and keep the heading path', () => {
  const chunks = chunkDocument('# Guide\n\nIntro.\n\n## Install\n\nRun it.\n\n### On Linux\n\nUse apt.\n\n## Use\n\nCall it.', 'Guide');
  assert.deepEqual(
    chunks.map((chunk) => [chunk.heading, chunk.text]),
    [
      [null, 'Intro.'],
      ['Install', 'Run it.'],
      ['Install > On Linux', 'Use apt.'],
      ['Use', 'Call it.'],
    ],
  );
  assert.deepEqual(chunks.map((chunk) => chunk.position), [0, 1, 2, 3]);
  // An H1 that is not the title is part of the path.
  assert.equal(chunkDocument('# Other\n\nx', 'Guide')[0]?.heading, 'Other');
});

test('long sections are split with bounded size and overlap, code never cut', () => {
  const sentence = (index: number) => `Sentence number ${index} explains one more detail of the platform.`;
  const paragraphs = Array.from({ length: 12 }, (_, p) => Array.from({ length: 4 }, (_, s) => sentence(p * 4 + s)).join(' '));
  const code = '```ts\n' + Array.from({ length: 10 }, (_, index) => `const value${index} = ${index};`).join('\n') + '\n```';
  const markdown = `## Long\n\n${paragraphs.slice(0, 6).join('\n\n')}\n\n${code}\n\n${paragraphs.slice(6).join('\n\n')}`;
  const chunks = chunkDocument(markdown, 'Doc', { maxChars: 600, overlapChars: 150 });
  assert.ok(chunks.length >= 5, String(chunks.length));
  for (const chunk of chunks) {
    assert.ok(chunk.text.length <= 600, `${chunk.text.length}`);
    assert.equal(chunk.heading, 'Long');
    assert.equal((chunk.text.match(/```/g) ?? []).length % 2, 0, 'fences balanced');
  }
  assert.ok(chunks.some((chunk) => chunk.text.includes(code)), 'the code block stays whole');
  // Every sentence is somewhere, and consecutive chunks share text (overlap).
  for (let index = 0; index < 48; index += 1) assert.ok(chunks.some((chunk) => chunk.text.includes(sentence(index))), `sentence ${index}`);
  let overlapping = 0;
  for (let index = 1; index < chunks.length; index += 1) {
    const previousSentences = (chunks[index - 1]?.text ?? '').split(/(?<=\.)\s+/);
    if (previousSentences.some((s) => s.length > 20 && chunks[index]?.text.startsWith(s))) overlapping += 1;
  }
  assert.ok(overlapping >= 1, 'at least one chunk starts with the tail of the previous one');
});

test('a single huge paragraph, list or code block is split too', () => {
  const words = Array.from({ length: 400 }, (_, index) => `word${index}`).join(' ');
  for (const chunk of chunkDocument(words, 'T', { maxChars: 300 })) assert.ok(chunk.text.length <= 300);
  const list = Array.from({ length: 60 }, (_, index) => `- item ${index} of the list`).join('\n');
  const listChunks = chunkDocument(list, 'T', { maxChars: 300, overlapChars: 0 });
  assert.ok(listChunks.length > 1);
  for (const chunk of listChunks) assert.match(chunk.text, /^- item/);
  const code = '```\n' + Array.from({ length: 80 }, (_, index) => `line ${index}`).join('\n') + '\n```';
  for (const chunk of chunkDocument(code, 'T', { maxChars: 300 })) {
    assert.ok(chunk.text.length <= 300);
    assert.match(chunk.text, /^```\n[\s\S]*\n```$/);
  }
});

test('empty document → no chunks', () => {
  assert.deepEqual(chunkDocument('', 'T'), []);
  assert.deepEqual(chunkDocument('# Only a heading', 'T'), []);
});
