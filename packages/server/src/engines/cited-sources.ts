/**
 * Maps an answer's `[n]` citation markers back to the numbered passages of its prompt, so
 * `response_complete.sources` lists what the answer actually used.
 */
import type { Source } from '@miptech/protocol';
import type { Passage } from '../store/knowledge-index.ts';

/** Longest snippet shown to the visitor for a source. */
const SNIPPET_LENGTH = 240;
/** Characters of a passage scanned for its snippet first; a little more than the snippet, for whitespace runs. */
const HEAD_LENGTH = SNIPPET_LENGTH + 40;

// `[1]`, `[1, 3]`, `[1,2,3]`, `[1][2]` (each bracket matched on its own).
const CITATION = /\[(\s*\d{1,3}\s*(?:,\s*\d{1,3}\s*)*)\]/g;

/**
 * The passages cited in `answer`, in order of first citation and without repeats; every passage
 * when the answer cites none (or only numbers that match no passage).
 */
export function citedSources(answer: string, passages: Passage[]): Source[] {
  const cited: Passage[] = [];
  const seen = new Set<number>();
  for (const match of answer.matchAll(CITATION)) {
    for (const part of match[1]!.split(',')) {
      const index = Number(part.trim()) - 1;
      const passage = passages[index];
      if (passage === undefined || seen.has(index)) continue;
      seen.add(index);
      cited.push(passage);
    }
  }
  return (cited.length > 0 ? cited : passages).map(passageToSource);
}

/** The wire form of a passage. */
export function passageToSource(passage: Passage): Source {
  const text = collapseWhitespace(passage.text);
  const snippet = text.length <= SNIPPET_LENGTH ? text : `${text.slice(0, SNIPPET_LENGTH - 1).trimEnd()}…`;
  return { title: passage.title, url: passage.url, snippet, document_id: passage.documentId, score: passage.score };
}

/**
 * The text with whitespace runs made single spaces and trimmed, as far as a snippet needs it:
 * collapsing a prefix gives a prefix of the collapsed whole, so only the start of a long passage
 * (chunks run to a few KiB, five per answer) is scanned.
 */
function collapseWhitespace(text: string): string {
  const head = text.length > HEAD_LENGTH ? text.slice(0, HEAD_LENGTH) : text;
  const collapsed = head.replace(/\s+/g, ' ').trim();
  if (head === text || collapsed.length > SNIPPET_LENGTH) return collapsed;
  return text.replace(/\s+/g, ' ').trim();
}
