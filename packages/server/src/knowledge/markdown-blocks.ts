/**
 * A small block-level reader for the Markdown the knowledge pipeline produces and stores
 * (every format is normalised to Markdown-ish text). It only needs to know where blocks start
 * and end — headings, fenced code, lists, tables, quotes, paragraphs — so the chunker never cuts
 * through a code sample and the extractive engine can keep a list or a snippet intact.
 */

export type MarkdownBlock =
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'code'; text: string }
  | { kind: 'list'; items: string[]; text: string }
  | { kind: 'table'; text: string }
  | { kind: 'quote'; text: string }
  | { kind: 'paragraph'; text: string };

const FENCE = /^\s{0,3}(`{3,}|~{3,})/;
const HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const LIST_ITEM = /^(\s{0,3})([-*+]|\d{1,3}[.)])\s+/;
const TABLE_ROW = /^\s*\|/;
const QUOTE = /^\s{0,3}>/;

/** Splits Markdown into blocks, in document order. Blank lines separate blocks. */
export function parseMarkdownBlocks(markdown: string): MarkdownBlock[] {
  const lines = markdown.replace(/\r\n?/g, '\n').split('\n');
  const blocks: MarkdownBlock[] = [];
  let index = 0;
  const isBlank = (line: string | undefined) => line === undefined || line.trim() === '';

  while (index < lines.length) {
    const line = lines[index] ?? '';
    if (isBlank(line)) {
      index += 1;
      continue;
    }

    const fence = FENCE.exec(line);
    if (fence) {
      const marker = fence[1] ?? '```';
      const body = [line];
      index += 1;
      while (index < lines.length) {
        const next = lines[index] ?? '';
        body.push(next);
        index += 1;
        if (next.trim().startsWith(marker.charAt(0).repeat(marker.length)) && next.trim().replace(/[`~]/g, '') === '') break;
      }
      blocks.push({ kind: 'code', text: body.join('\n') });
      continue;
    }

    const heading = HEADING.exec(line);
    if (heading) {
      blocks.push({ kind: 'heading', level: heading[1]?.length ?? 1, text: heading[2] ?? '' });
      index += 1;
      continue;
    }

    if (LIST_ITEM.test(line)) {
      const items: string[] = [];
      const body: string[] = [];
      while (index < lines.length) {
        const next = lines[index] ?? '';
        if (LIST_ITEM.test(next)) {
          items.push(next);
          body.push(next);
          index += 1;
        } else if (!isBlank(next) && /^\s+\S/.test(next) && items.length > 0) {
          // An indented continuation line belongs to the current item.
          items[items.length - 1] += `\n${next}`;
          body.push(next);
          index += 1;
        } else if (isBlank(next) && LIST_ITEM.test(lines[index + 1] ?? '')) {
          index += 1; // a loose list: one blank line between items
        } else if (!isBlank(next) && !isBlank(lines[index - 1]) && !FENCE.test(next) && !HEADING.test(next) && !TABLE_ROW.test(next) && !QUOTE.test(next)) {
          // A lazy continuation line (no indentation) directly after an item.
          items[items.length - 1] += `\n${next}`;
          body.push(next);
          index += 1;
        } else {
          break;
        }
      }
      blocks.push({ kind: 'list', items, text: body.join('\n') });
      continue;
    }

    if (TABLE_ROW.test(line)) {
      const body: string[] = [];
      while (index < lines.length && TABLE_ROW.test(lines[index] ?? '')) body.push(lines[index++] ?? '');
      blocks.push({ kind: 'table', text: body.join('\n') });
      continue;
    }

    if (QUOTE.test(line)) {
      const body: string[] = [];
      while (index < lines.length && QUOTE.test(lines[index] ?? '')) body.push(lines[index++] ?? '');
      blocks.push({ kind: 'quote', text: body.join('\n') });
      continue;
    }

    const body: string[] = [];
    while (index < lines.length) {
      const next = lines[index] ?? '';
      if (isBlank(next) || FENCE.test(next) || HEADING.test(next) || (body.length > 0 && (LIST_ITEM.test(next) || TABLE_ROW.test(next)))) break;
      body.push(next);
      index += 1;
    }
    blocks.push({ kind: 'paragraph', text: body.join('\n') });
  }
  return blocks;
}

/** Writes blocks back as Markdown, one blank line between blocks. */
export function renderMarkdownBlocks(blocks: readonly MarkdownBlock[]): string {
  return blocks
    .map((block) => (block.kind === 'heading' ? `${'#'.repeat(block.level)} ${block.text}` : block.text))
    .join('\n\n');
}
