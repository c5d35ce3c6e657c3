/**
 * Splits a document (Markdown) into retrieval chunks: each heading starts a new section, a
 * section is packed block by block into chunks of bounded size, and a new chunk inside the same
 * section repeats the tail of the previous one (overlap) so a fact on the boundary is found from
 * either side. Code blocks, list items and table rows are never cut in the middle unless a
 * single one is larger than a whole chunk. Every chunk keeps the heading path it sits under.
 */
import { parseMarkdownBlocks, type MarkdownBlock } from './markdown-blocks.ts';
import { plainHeading } from './parse-markdown.ts';
import { splitSentences } from './split-sentences.ts';

export interface ChunkOptions {
  /** Upper bound on a chunk's text length, in characters. @default 1200 */
  maxChars?: number;
  /** How much of the previous chunk's tail a following chunk of the same section repeats. @default 200 */
  overlapChars?: number;
}

export interface DocumentChunk {
  /** Heading path inside the document, e.g. "Embedding > Script tag"; null before the first heading. */
  heading: string | null;
  text: string;
  position: number;
}

interface Piece {
  text: string;
  /** The sentences of a paragraph piece, to take an overlap from its end. */
  sentences: string[] | null;
}

function splitBySize(units: string[], maxChars: number, separator: string): string[] {
  const groups: string[] = [];
  let current = '';
  for (const unit of units) {
    for (const part of unit.length > maxChars ? hardSplit(unit, maxChars) : [unit]) {
      if (current && current.length + separator.length + part.length > maxChars) {
        groups.push(current);
        current = '';
      }
      current = current ? `${current}${separator}${part}` : part;
    }
  }
  if (current) groups.push(current);
  return groups;
}

/** Last resort for one enormous sentence or line: cut at whitespace. */
function hardSplit(text: string, maxChars: number): string[] {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > maxChars) {
    const space = rest.lastIndexOf(' ', maxChars);
    const cut = space > maxChars / 2 ? space : maxChars;
    parts.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}

/** Turns one block into pieces no longer than `maxChars`. */
function piecesOf(block: MarkdownBlock, maxChars: number): Piece[] {
  if (block.kind === 'paragraph') {
    const sentences = splitSentences(block.text);
    if (block.text.length <= maxChars) return [{ text: block.text, sentences }];
    return splitBySize(sentences, maxChars, ' ').map((text) => ({ text, sentences: splitSentences(text) }));
  }
  if (block.text.length <= maxChars) return [{ text: block.text, sentences: null }];
  switch (block.kind) {
    case 'list':
      return splitBySize(block.items, maxChars, '\n').map((text) => ({ text, sentences: null }));
    case 'code': {
      const lines = block.text.split('\n');
      const open = lines[0] ?? '```';
      const fence = /^\s*(`{3,}|~{3,})/.exec(open)?.[1] ?? '```';
      const body = lines.slice(1, lines.at(-1)?.trim().startsWith(fence.charAt(0)) ? -1 : undefined);
      const budget = maxChars - open.length - fence.length - 2;
      return splitBySize(body, budget, '\n').map((text) => ({ text: `${open}\n${text}\n${fence}`, sentences: null }));
    }
    case 'table': {
      const rows = block.text.split('\n');
      const header = rows[1] && /^\s*\|[\s:|-]+\|\s*$/.test(rows[1]) ? rows.slice(0, 2) : [];
      const headerText = header.join('\n');
      const budget = maxChars - headerText.length - 1;
      return splitBySize(rows.slice(header.length), budget, '\n').map((text) => ({
        text: headerText ? `${headerText}\n${text}` : text,
        sentences: null,
      }));
    }
    default:
      return splitBySize([block.text], maxChars, '\n').map((text) => ({ text, sentences: null }));
  }
}

/** The tail of a chunk repeated at the start of the next one: the last piece, or its last sentences. */
function overlapOf(pieces: Piece[], overlapChars: number): Piece[] {
  const last = pieces.at(-1);
  if (!last || overlapChars <= 0) return [];
  if (last.text.length <= overlapChars && pieces.length > 1) return [last];
  if (!last.sentences || last.sentences.length < 2) return [];
  const tail: string[] = [];
  let length = 0;
  for (const sentence of [...last.sentences].reverse()) {
    if (length + sentence.length > overlapChars || tail.length + 1 >= last.sentences.length) break;
    tail.unshift(sentence);
    length += sentence.length + 1;
  }
  return tail.length > 0 ? [{ text: tail.join(' '), sentences: tail }] : [];
}

/**
 * Chunks a Markdown document. `title` is the document title: a level-one heading equal to it is
 * not repeated in the heading paths.
 */
export function chunkDocument(markdown: string, title: string, options: ChunkOptions = {}): DocumentChunk[] {
  const maxChars = Math.max(200, options.maxChars ?? 1200);
  const overlapChars = Math.min(Math.max(0, options.overlapChars ?? 200), Math.floor(maxChars / 3));
  const normalizedTitle = title.trim().toLowerCase();

  const chunks: DocumentChunk[] = [];
  const headings: Array<{ level: number; text: string }> = [];
  let section: Piece[] = [];

  const headingPath = () => {
    const path = headings.filter((heading, index) => !(index === 0 && heading.level === 1 && heading.text.toLowerCase() === normalizedTitle));
    return path.length > 0 ? path.map((heading) => heading.text).join(' > ') : null;
  };

  const flushSection = () => {
    const heading = headingPath();
    let current: Piece[] = [];
    let size = 0;
    let fresh = 0; // pieces in `current` that are not overlap from the previous chunk
    const emit = () => {
      if (fresh === 0) return;
      chunks.push({ heading, text: current.map((piece) => piece.text).join('\n\n'), position: chunks.length });
    };
    for (const piece of section) {
      if (current.length > 0 && size + 2 + piece.text.length > maxChars) {
        emit();
        current = overlapOf(current, overlapChars);
        size = current.reduce((sum, overlap) => sum + overlap.text.length + 2, 0);
        fresh = 0;
      }
      current.push(piece);
      size += piece.text.length + 2;
      fresh += 1;
    }
    emit();
    section = [];
  };

  for (const block of parseMarkdownBlocks(markdown)) {
    if (block.kind === 'heading') {
      flushSection();
      while ((headings.at(-1)?.level ?? 0) >= block.level) headings.pop();
      const text = plainHeading(block.text);
      if (text) headings.push({ level: block.level, text });
      continue;
    }
    section.push(...piecesOf(block, maxChars));
  }
  flushSection();
  return chunks;
}
