import type { DocumentSourceType } from '../store/store.ts';

/** A document after parsing: Markdown text (every format is normalised to it), a title and where it lives. */
export interface ParsedDocument {
  title: string;
  url: string | null;
  /** Markdown: headings, paragraphs, lists, fenced code. What is chunked, hashed and stored. */
  text: string;
  sourceType: DocumentSourceType;
}
