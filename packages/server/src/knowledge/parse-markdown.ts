/**
 * Markdown input: already the pipeline's own format. Front matter is read for a title and
 * removed, HTML comments are dropped, and the title falls back to the first level-one heading.
 */
import type { ParsedDocument } from './parsed-document.ts';

const FRONT_MATTER = /^---[ \t]*\n([\s\S]*?)\n---[ \t]*(?:\n|$)/;

function frontMatterTitle(frontMatter: string): string | null {
  const match = /^title:\s*(.+?)\s*$/m.exec(frontMatter);
  if (!match?.[1]) return null;
  return match[1].replace(/^(['"])(.*)\1$/, '$2').trim() || null;
}

/** Strips Markdown inline syntax from a heading so it reads as a plain title. */
export function plainHeading(text: string): string {
  return text
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`/g, '')
    // Emphasis markers, not the underscores inside identifiers such as session_id.
    .replace(/(^|[^\p{L}\p{N}])[*_]+|[*_]+(?=[^\p{L}\p{N}]|$)/gu, '$1')
    .trim();
}

export function parseMarkdown(source: string, options: { title?: string | null; url?: string | null } = {}): ParsedDocument {
  let text = source.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  let title = options.title?.trim() || null;
  const frontMatter = FRONT_MATTER.exec(text);
  if (frontMatter) {
    title ??= frontMatterTitle(frontMatter[1] ?? '');
    text = text.slice(frontMatter[0].length);
  }
  text = text.replace(/<!--[\s\S]*?-->/g, '');
  if (!title) {
    const heading = /^\s{0,3}#\s+(.+?)\s*#*\s*$/m.exec(text);
    title = heading?.[1] ? plainHeading(heading[1]) : null;
  }
  return { title: title ?? '', url: options.url ?? null, text, sourceType: 'markdown' };
}
