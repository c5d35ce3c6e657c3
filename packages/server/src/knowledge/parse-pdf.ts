/**
 * PDF input: the text layer of every page through Mozilla's pdf.js (the legacy build, which runs
 * on Node 20). PDFs carry no reliable structure, so the result is paragraphs only: lines are
 * kept, pages are separated by blank lines. Scanned PDFs without a text layer yield no text.
 */
import { AppError } from '../base/errors.ts';
import type { ParsedDocument } from './parsed-document.ts';

/** Stops a hostile or huge file from keeping the server busy. */
const MAX_PAGES = 500;

interface TextItem {
  str: string;
  hasEOL?: boolean;
}

export async function parsePdf(data: Uint8Array, options: { title?: string | null; url?: string | null; fileName?: string | null } = {}): Promise<ParsedDocument> {
  // Loaded on first use: pdf.js is large and most deployments never import a PDF.
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = pdfjs.getDocument({
    // pdf.js takes ownership of (detaches) the buffer it is given, so it gets a copy.
    data: new Uint8Array(data),
    isEvalSupported: false,
    useSystemFonts: false,
    disableFontFace: true,
    verbosity: 0,
  });
  let document;
  try {
    document = await task.promise;
  } catch (error) {
    await task.destroy();
    throw new AppError('validation_error', 'The file is not a readable PDF', {
      detail: [{ loc: ['body', 'content'], msg: 'not a readable PDF', type: 'value_error' }],
      cause: error,
    });
  }
  try {
    const pages: string[] = [];
    for (let number = 1; number <= Math.min(document.numPages, MAX_PAGES); number += 1) {
      const page = await document.getPage(number);
      const content = await page.getTextContent();
      let text = '';
      for (const item of content.items as TextItem[]) {
        if (typeof item.str !== 'string') continue;
        text += item.str;
        if (item.hasEOL) text += '\n';
      }
      pages.push(text.trim());
      page.cleanup();
    }
    const metadata = await document.getMetadata().catch(() => null);
    const info = (metadata?.info ?? {}) as { Title?: unknown };
    const metadataTitle = typeof info.Title === 'string' ? info.Title.trim() : '';
    const fileTitle = options.fileName ? options.fileName.replace(/^.*[\\/]/, '').replace(/\.pdf$/i, '') : '';
    const text = pages.filter(Boolean).join('\n\n');
    const firstLine = text.split('\n').find((line) => line.trim())?.trim() ?? '';
    return {
      title: options.title?.trim() || metadataTitle || fileTitle || (firstLine.length <= 100 ? firstLine : ''),
      url: options.url ?? null,
      text,
      sourceType: 'pdf',
    };
  } finally {
    await document.destroy();
  }
}
