/**
 * One entry point for every supported format. Markdown, plain text and HTML arrive as text;
 * PDF as bytes (or base64 text over the admin API).
 */
import { AppError } from '../base/errors.ts';
import type { DocumentSourceType } from '../store/store.ts';
import { normalizeText } from './normalize-text.ts';
import type { ParsedDocument } from './parsed-document.ts';
import { parseHtml } from './parse-html.ts';
import { parseMarkdown } from './parse-markdown.ts';
import { parsePdf } from './parse-pdf.ts';
import { parsePlainText } from './parse-plain-text.ts';

export const DOCUMENT_FORMATS: readonly DocumentSourceType[] = ['markdown', 'text', 'html', 'pdf'];

export interface DocumentSource {
  format: DocumentSourceType;
  /** Text for markdown/text/html; bytes (or base64 text) for pdf. */
  content: string | Uint8Array;
  title?: string | null;
  url?: string | null;
  /** Used for a fallback title. */
  fileName?: string | null;
}

/** Guesses the format from a file name or URL path, or null. */
export function formatFromName(name: string): DocumentSourceType | null {
  const extension = /\.([a-z0-9]+)$/i.exec(name.replace(/[?#].*$/, ''))?.[1]?.toLowerCase();
  switch (extension) {
    case 'md':
    case 'markdown':
    case 'mdx':
      return 'markdown';
    case 'txt':
    case 'text':
      return 'text';
    case 'html':
    case 'htm':
    case 'xhtml':
      return 'html';
    case 'pdf':
      return 'pdf';
    default:
      return null;
  }
}

function asText(content: string | Uint8Array): string {
  return typeof content === 'string' ? content : new TextDecoder('utf-8').decode(content);
}

/** Parses and normalises a document; the text is Markdown ready for chunking. */
export async function parseDocumentSource(source: DocumentSource): Promise<ParsedDocument> {
  const options = { title: source.title ?? null, url: source.url ?? null };
  let parsed: ParsedDocument;
  switch (source.format) {
    case 'markdown':
      parsed = parseMarkdown(asText(source.content), options);
      break;
    case 'text':
      parsed = parsePlainText(asText(source.content), options);
      break;
    case 'html':
      parsed = parseHtml(asText(source.content), options);
      break;
    case 'pdf': {
      const bytes = typeof source.content === 'string' ? Buffer.from(source.content, 'base64') : source.content;
      parsed = await parsePdf(bytes, { ...options, fileName: source.fileName ?? null });
      break;
    }
    default:
      throw new AppError('validation_error', `Unsupported format: ${String(source.format)}`, {
        detail: [{ loc: ['body', 'format'], msg: `must be one of ${DOCUMENT_FORMATS.join(', ')}`, type: 'enum' }],
      });
  }
  const fallbackTitle = source.fileName?.replace(/^.*[\\/]/, '').replace(/\.[a-z0-9]+$/i, '') || source.url || 'Untitled';
  return { ...parsed, title: parsed.title.replace(/\s+/g, ' ').trim() || fallbackTitle, text: normalizeText(parsed.text) };
}
