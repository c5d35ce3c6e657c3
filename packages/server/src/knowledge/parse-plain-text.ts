/**
 * Plain text input. Paragraphs stay separated by blank lines; the first short line doubles as
 * the title when none is given.
 */
import type { ParsedDocument } from './parsed-document.ts';

export function parsePlainText(source: string, options: { title?: string | null; url?: string | null } = {}): ParsedDocument {
  const text = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  let title = options.title?.trim() || '';
  if (!title) {
    const firstLine = text.split('\n').find((line) => line.trim() !== '')?.trim() ?? '';
    if (firstLine.length > 0 && firstLine.length <= 100) title = firstLine;
  }
  return { title, url: options.url ?? null, text, sourceType: 'text' };
}
