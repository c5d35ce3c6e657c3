/**
 * A small Markdown parser for assistant answers. It produces a plain tree, never HTML: the renderer
 * turns the tree into elements whose text goes into text nodes, so nothing in an answer can become
 * markup or script. Supported: paragraphs (single newlines are line breaks), headings, ordered and
 * unordered lists (nested by indentation), fenced and indented code blocks, block quotes, inline code,
 * bold, italic, links and bare http(s) URLs. Anything else stays literal text. Unfinished syntax
 * (common while an answer streams in) also stays literal text until it is closed.
 */
import { safeHref } from './safe-url.ts';

export type InlineNode =
  | { type: 'text'; text: string }
  | { type: 'code'; text: string }
  | { type: 'strong'; children: InlineNode[] }
  | { type: 'em'; children: InlineNode[] }
  /** `href` is already checked by safeHref; unsafe links become their plain text instead. */
  | { type: 'link'; href: string; children: InlineNode[] }
  | { type: 'break' };

export interface ListItem {
  blocks: BlockNode[];
}

export type BlockNode =
  | { type: 'paragraph'; children: InlineNode[] }
  | { type: 'heading'; level: number; children: InlineNode[] }
  | { type: 'list'; ordered: boolean; start: number; items: ListItem[] }
  | { type: 'code'; language: string; text: string }
  | { type: 'quote'; blocks: BlockNode[] };

/** Bounds the work on hostile input: deeper structures are flattened into text. */
const MAX_DEPTH = 8;

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([\w+-]*)/;
const HEADING = /^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const LIST_ITEM = /^( *)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const INDENTED_CODE = /^( {4}|\t)/;

/** Parses a whole answer (possibly still streaming) into blocks. */
export function parseMarkdown(source: string): BlockNode[] {
  return parseBlocks(source.replace(/\r\n?/g, '\n').split('\n'), 0);
}

function parseBlocks(lines: string[], depth: number): BlockNode[] {
  const blocks: BlockNode[] = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index] ?? '';
    if (line.trim() === '') {
      index += 1;
      continue;
    }

    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1] ?? '```';
      const body: string[] = [];
      index += 1;
      while (index < lines.length && !(lines[index] ?? '').trimStart().startsWith(marker)) {
        body.push(lines[index] ?? '');
        index += 1;
      }
      index += 1; // the closing fence (or past the end while the answer is still streaming)
      blocks.push({ type: 'code', language: fence[2] ?? '', text: body.join('\n') });
      continue;
    }

    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ type: 'heading', level: heading[1]?.length ?? 1, children: parseInline(heading[2] ?? '', depth) });
      index += 1;
      continue;
    }

    if (depth < MAX_DEPTH && QUOTE.test(line)) {
      const body: string[] = [];
      while (index < lines.length) {
        const match = QUOTE.exec(lines[index] ?? '');
        if (!match) break;
        body.push(match[1] ?? '');
        index += 1;
      }
      blocks.push({ type: 'quote', blocks: parseBlocks(body, depth + 1) });
      continue;
    }

    const item = LIST_ITEM.exec(line);
    if (item && depth < MAX_DEPTH) {
      index = parseList(lines, index, depth, blocks);
      continue;
    }

    if (INDENTED_CODE.test(line)) {
      const body: string[] = [];
      while (index < lines.length) {
        const current = lines[index] ?? '';
        if (current.trim() !== '' && !INDENTED_CODE.test(current)) break;
        body.push(current.replace(INDENTED_CODE, ''));
        index += 1;
      }
      while (body.length > 0 && (body[body.length - 1] ?? '').trim() === '') body.pop();
      blocks.push({ type: 'code', language: '', text: body.join('\n') });
      continue;
    }

    const paragraph: string[] = [];
    while (index < lines.length) {
      const current = lines[index] ?? '';
      if (current.trim() === '') break;
      if (paragraph.length > 0 && startsOtherBlock(current)) break;
      paragraph.push(current.trim());
      index += 1;
    }
    blocks.push({ type: 'paragraph', children: parseInline(paragraph.join('\n'), depth) });
  }
  return blocks;
}

function startsOtherBlock(line: string): boolean {
  return FENCE.test(line) || HEADING.test(line) || QUOTE.test(line) || LIST_ITEM.test(line);
}

/** Parses the list starting at `start`; returns the index of the first line after it. */
function parseList(lines: string[], start: number, depth: number, out: BlockNode[]): number {
  const first = LIST_ITEM.exec(lines[start] ?? '');
  const baseIndent = first?.[1]?.length ?? 0;
  const ordered = /\d/.test(first?.[2] ?? '');
  const list: BlockNode & { type: 'list' } = {
    type: 'list',
    ordered,
    start: ordered ? Number.parseInt(first?.[2] ?? '1', 10) : 1,
    items: [],
  };
  let itemLines: string[] | null = null;
  const flush = (): void => {
    if (itemLines) list.items.push({ blocks: parseBlocks(itemLines, depth + 1) });
  };
  let index = start;
  while (index < lines.length) {
    const line = lines[index] ?? '';
    const match = LIST_ITEM.exec(line);
    const indent = line.length - line.trimStart().length;
    if (match && indent <= baseIndent + 1 && /\d/.test(match[2] ?? '') === ordered) {
      flush();
      itemLines = [match[3] ?? ''];
    } else if (match && indent <= baseIndent + 1) {
      break; // a list of the other kind starts
    } else if (line.trim() === '') {
      const next = lines[index + 1] ?? '';
      const nextIndent = next.length - next.trimStart().length;
      const continues = next.trim() !== '' && (nextIndent > baseIndent || LIST_ITEM.test(next));
      if (!continues) break;
      itemLines?.push('');
    } else if (indent > baseIndent) {
      // Continuation or nested content: strip the item's indentation so nested lists parse.
      itemLines?.push(line.slice(Math.min(indent, baseIndent + 2)));
    } else if (!startsOtherBlock(line)) {
      itemLines?.push(line.trim()); // lazy continuation of the item's paragraph
    } else {
      break;
    }
    index += 1;
  }
  flush();
  out.push(list);
  return index;
}

const BARE_URL = /^(?:https?:\/\/|mailto:)[^\s<>"]+/i;
const TRAILING_PUNCTUATION = /[.,;:!?'")\]]+$/;

/** Parses inline syntax. Text is kept verbatim (never decoded as HTML). */
export function parseInline(text: string, depth = 0): InlineNode[] {
  const nodes: InlineNode[] = [];
  let buffer = '';
  const pushText = (value: string): void => {
    buffer += value;
  };
  const flush = (): void => {
    if (buffer !== '') nodes.push({ type: 'text', text: buffer });
    buffer = '';
  };

  let index = 0;
  while (index < text.length) {
    const char = text[index] ?? '';
    const rest = text.slice(index);

    if (char === '\\' && index + 1 < text.length && /[\\`*_[\]()#+\-.!<>~|]/.test(text[index + 1] ?? '')) {
      pushText(text[index + 1] ?? '');
      index += 2;
      continue;
    }

    if (char === '\n') {
      flush();
      nodes.push({ type: 'break' });
      index += 1;
      continue;
    }

    if (char === '`') {
      const run = /^`+/.exec(rest)?.[0] ?? '`';
      const close = text.indexOf(run, index + run.length);
      if (close !== -1) {
        flush();
        const code = text.slice(index + run.length, close);
        nodes.push({ type: 'code', text: code.length > 2 && code.startsWith(' ') && code.endsWith(' ') ? code.slice(1, -1) : code });
        index = close + run.length;
        continue;
      }
      pushText(run);
      index += run.length;
      continue;
    }

    if (depth < MAX_DEPTH && (rest.startsWith('**') || rest.startsWith('__'))) {
      const marker = rest.slice(0, 2);
      const close = findClosing(text, index + 2, marker);
      if (close !== -1 && canOpen(text, index, 2) && (marker === '**' || isWordBoundary(text, close + 2))) {
        flush();
        nodes.push({ type: 'strong', children: parseInline(text.slice(index + 2, close), depth + 1) });
        index = close + 2;
        continue;
      }
    }

    if (depth < MAX_DEPTH && (char === '*' || char === '_') && !rest.startsWith(char + char)) {
      const close = findClosing(text, index + 1, char);
      const opensHere = canOpen(text, index, 1) && (char === '*' || isWordBoundary(text, index - 1));
      if (close !== -1 && opensHere && (char === '*' || isWordBoundary(text, close + 1))) {
        flush();
        nodes.push({ type: 'em', children: parseInline(text.slice(index + 1, close), depth + 1) });
        index = close + 1;
        continue;
      }
    }

    if (char === '[' && depth < MAX_DEPTH) {
      const link = matchLink(text, index);
      if (link) {
        flush();
        const children = parseInline(link.label, depth + 1);
        const href = safeHref(link.url);
        if (href) nodes.push({ type: 'link', href, children });
        else nodes.push(...children); // an unsafe link keeps its label as plain text
        index = link.end;
        continue;
      }
    }

    if (char === '<') {
      const autolink = /^<((?:https?:\/\/|mailto:)[^\s<>]+)>/i.exec(rest);
      const href = autolink ? safeHref(autolink[1]) : null;
      if (autolink && href) {
        flush();
        nodes.push({ type: 'link', href, children: [{ type: 'text', text: autolink[1] ?? '' }] });
        index += autolink[0].length;
        continue;
      }
    }

    if ((char === 'h' || char === 'H' || char === 'm' || char === 'M') && isWordBoundary(text, index - 1)) {
      const bare = BARE_URL.exec(rest);
      if (bare) {
        const url = bare[0].replace(TRAILING_PUNCTUATION, '');
        const href = safeHref(url);
        if (href && url.length > 8) {
          flush();
          nodes.push({ type: 'link', href, children: [{ type: 'text', text: url }] });
          index += url.length;
          continue;
        }
      }
    }

    pushText(char);
    index += 1;
  }
  flush();
  return nodes;
}

/** An emphasis marker opens only when followed by a non-space character. */
function canOpen(text: string, index: number, length: number): boolean {
  const next = text[index + length];
  return next !== undefined && !/\s/.test(next);
}

function isWordBoundary(text: string, index: number): boolean {
  const char = text[index];
  return char === undefined || !/[\p{L}\p{N}]/u.test(char);
}

/** The next `marker` after `from` that is preceded by a non-space character, on the same paragraph. */
function findClosing(text: string, from: number, marker: string): number {
  let index = text.indexOf(marker, from + 1);
  while (index !== -1) {
    const before = text[index - 1] ?? ' ';
    const doubled = marker.length === 1 && text[index + 1] === marker;
    if (!/\s/.test(before) && !doubled) return index;
    index = text.indexOf(marker, index + (doubled ? 2 : 1));
  }
  return -1;
}

function matchLink(text: string, start: number): { label: string; url: string; end: number } | null {
  let depth = 0;
  let index = start;
  for (; index < text.length; index += 1) {
    const char = text[index];
    if (char === '\\') index += 1;
    else if (char === '[') depth += 1;
    else if (char === ']') {
      depth -= 1;
      if (depth === 0) break;
    } else if (char === '\n' && text[index + 1] === '\n') return null;
  }
  if (text[index] !== ']' || text[index + 1] !== '(') return null;
  const label = text.slice(start + 1, index);
  let parens = 0;
  let cursor = index + 2;
  for (; cursor < text.length; cursor += 1) {
    const char = text[cursor];
    if (char === '(') parens += 1;
    else if (char === ')') {
      if (parens === 0) break;
      parens -= 1;
    } else if (char === '\n') return null;
  }
  if (text[cursor] !== ')') return null;
  // `[label](url "title")`: the title is dropped.
  const target = text.slice(index + 2, cursor).trim().replace(/\s+["'(].*$/, '').replace(/^<(.*)>$/, '$1');
  return { label, url: target, end: cursor + 1 };
}
