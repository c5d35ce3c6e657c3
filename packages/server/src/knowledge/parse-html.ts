/**
 * HTML input, parsed with htmlparser2 (a real, forgiving HTML parser) and rewritten as Markdown:
 * headings, paragraphs, lists, tables and code survive; navigation, headers, footers, sidebars,
 * scripts, styles, forms and hidden elements — the boilerplate every page of a site repeats —
 * are dropped, so retrieval sees each page's own content. Links found in the page are returned
 * too (the crawler follows them).
 */
import { DomUtils, parseDocument } from 'htmlparser2';
import type { ParsedDocument } from './parsed-document.ts';
import { plainHeading } from './parse-markdown.ts';

type HtmlDocument = ReturnType<typeof parseDocument>;
type HtmlNode = HtmlDocument['children'][number];
type HtmlElement = Extract<HtmlNode, { attribs: Record<string, string> }>;

export interface ParsedHtml extends ParsedDocument {
  /** Absolute http(s) URLs of the links in the page (boilerplate included), without fragments. */
  links: string[];
  /** `<meta name="robots" content="noindex">` or `nofollow`. */
  robots: { noindex: boolean; nofollow: boolean };
}

const DROPPED = new Set([
  'script', 'style', 'noscript', 'template', 'svg', 'canvas', 'iframe', 'object', 'embed', 'video', 'audio',
  'nav', 'aside', 'form', 'button', 'select', 'input', 'textarea', 'dialog', 'menu', 'head', 'link', 'meta',
]);
const DROPPED_ROLES = new Set(['navigation', 'banner', 'contentinfo', 'complementary', 'search', 'dialog', 'alert', 'menu', 'menubar']);
const BOILERPLATE_CLASS = /(^|[\s_-])(cookies?|consent|breadcrumbs?|sidebar|navbar|skip-link|site-header|site-footer|social-share|newsletter)([\s_-]|$)/i;
const BLOCK = new Set([
  'p', 'div', 'section', 'article', 'main', 'header', 'footer', 'address', 'figure', 'figcaption', 'details', 'summary',
  'body', 'html', 'center', 'fieldset', 'hgroup',
]);
const HEADING = /^h([1-6])$/;

type HtmlText = Extract<HtmlNode, { type: 'text' }>;

function isElement(node: HtmlNode): node is HtmlElement {
  // <script> and <style> have their own node types, but they are dropped anyway.
  return node.type === 'tag' || node.type === 'script' || node.type === 'style';
}

function isText(node: HtmlNode): node is HtmlText {
  return node.type === 'text';
}

/** Whether an element is page chrome rather than content. */
function isBoilerplate(element: HtmlElement, insideContent: boolean): boolean {
  if (DROPPED.has(element.name)) return true;
  // A page-level <header>/<footer> is chrome; one inside an article or main belongs to it.
  if ((element.name === 'header' || element.name === 'footer') && !insideContent) return true;
  const attributes = element.attribs;
  if ('hidden' in attributes || attributes['aria-hidden'] === 'true') return true;
  if (/display\s*:\s*none/i.test(attributes.style ?? '')) return true;
  if (attributes.role && DROPPED_ROLES.has(attributes.role)) return true;
  return BOILERPLATE_CLASS.test(`${attributes.class ?? ''} ${attributes.id ?? ''}`);
}

function resolveUrl(href: string, base: string | null): string | null {
  const trimmed = href.trim();
  if (!trimmed || trimmed.startsWith('#') || /^(javascript|data|tel):/i.test(trimmed)) return null;
  try {
    const url = base ? new URL(trimmed, base) : new URL(trimmed);
    if (url.protocol !== 'http:' && url.protocol !== 'https:' && url.protocol !== 'mailto:') return null;
    url.hash = '';
    return url.toString();
  } catch {
    return null;
  }
}

/** Collects Markdown blocks; inline text accumulates until a block boundary flushes it. */
class MarkdownWriter {
  readonly blocks: string[] = [];
  private inline = '';

  text(value: string): void {
    this.inline += value;
  }

  flush(): void {
    const paragraph = this.inline.replace(/\s+/g, ' ').trim();
    this.inline = '';
    if (paragraph) this.blocks.push(paragraph);
  }

  block(value: string): void {
    this.flush();
    if (value.trim()) this.blocks.push(value);
  }
}

class HtmlToMarkdown {
  constructor(private readonly baseUrl: string | null) {}

  /** Renders children into a fresh writer and returns its blocks. */
  renderBlocks(nodes: readonly HtmlNode[], insideContent: boolean): string[] {
    const writer = new MarkdownWriter();
    for (const node of nodes) this.render(node, writer, insideContent);
    writer.flush();
    return writer.blocks;
  }

  /** Renders children as one line of inline Markdown. */
  renderInline(nodes: readonly HtmlNode[], insideContent: boolean): string {
    return this.renderBlocks(nodes, insideContent).join(' ').replace(/\s+/g, ' ').trim();
  }

  render(node: HtmlNode, writer: MarkdownWriter, insideContent: boolean): void {
    if (isText(node)) {
      writer.text(node.data);
      return;
    }
    if (!isElement(node)) return;
    if (isBoilerplate(node, insideContent)) return;
    const name = node.name;
    const children = node.children as HtmlNode[];
    const inside = insideContent || name === 'main' || name === 'article';

    const heading = HEADING.exec(name);
    if (heading) {
      const text = this.renderInline(children, inside);
      if (text) writer.block(`${'#'.repeat(Number(heading[1]))} ${text}`);
      return;
    }
    switch (name) {
      case 'br':
        writer.text('\n');
        return;
      case 'hr':
        writer.flush();
        return;
      case 'img': {
        const alt = node.attribs.alt?.trim();
        if (alt) writer.text(` ${alt} `);
        return;
      }
      case 'pre': {
        const codeElement = children.find((child): child is HtmlElement => isElement(child) && child.name === 'code');
        const language = /(?:^|\s)(?:language|lang)-([\w+-]+)/.exec(`${codeElement?.attribs.class ?? ''} ${node.attribs.class ?? ''}`)?.[1] ?? '';
        const code = DomUtils.textContent(node).replace(/^\n/, '').replace(/\s+$/, '');
        if (code) writer.block(`\`\`\`${language}\n${code}\n\`\`\``);
        return;
      }
      case 'code':
      case 'kbd':
      case 'samp': {
        const code = DomUtils.textContent(node).replace(/\s+/g, ' ').trim();
        if (code) writer.text(`\`${code.replaceAll('`', "'")}\``);
        return;
      }
      case 'strong':
      case 'b': {
        const text = this.renderInline(children, inside);
        if (text) writer.text(`**${text}**`);
        return;
      }
      case 'a': {
        const text = this.renderInline(children, inside);
        const href = resolveUrl(node.attribs.href ?? '', this.baseUrl);
        if (!text) return;
        writer.text(href && href !== text && !text.includes('](') ? `[${text}](${href})` : text);
        return;
      }
      case 'ul':
      case 'ol': {
        const items = children.filter((child): child is HtmlElement => isElement(child) && child.name === 'li');
        const start = Number.parseInt(node.attribs.start ?? '1', 10) || 1;
        const lines = items.flatMap((item, index) => {
          const blocks = this.renderBlocks(item.children as HtmlNode[], inside);
          if (blocks.length === 0) return [];
          const marker = name === 'ol' ? `${start + index}.` : '-';
          const [first, ...rest] = blocks;
          return [`${marker} ${first}`, ...rest.flatMap((block) => block.split('\n').map((line) => `  ${line}`))];
        });
        writer.block(lines.join('\n'));
        return;
      }
      case 'dl': {
        writer.flush();
        for (const child of children) {
          if (!isElement(child)) continue;
          const text = this.renderInline(child.children as HtmlNode[], inside);
          if (!text) continue;
          writer.block(child.name === 'dt' ? `**${text}**` : text);
        }
        return;
      }
      case 'blockquote': {
        const blocks = this.renderBlocks(children, inside);
        writer.block(blocks.flatMap((block) => block.split('\n').map((line) => `> ${line}`)).join('\n'));
        return;
      }
      case 'table': {
        writer.block(this.renderTable(node, inside));
        return;
      }
      default:
        if (BLOCK.has(name) || name === 'li' || name === 'tr' || name === 'td' || name === 'th') {
          writer.flush();
          for (const child of children) this.render(child, writer, inside);
          writer.flush();
          return;
        }
        for (const child of children) this.render(child, writer, inside);
    }
  }

  private renderTable(table: HtmlElement, insideContent: boolean): string {
    const rows = DomUtils.getElementsByTagName('tr', table, true);
    const lines: string[] = [];
    rows.forEach((row, index) => {
      const cells = (row.children as HtmlNode[]).filter((cell): cell is HtmlElement => isElement(cell) && (cell.name === 'td' || cell.name === 'th'));
      if (cells.length === 0) return;
      const texts = cells.map((cell) => this.renderInline(cell.children as HtmlNode[], insideContent).replaceAll('|', '\\|'));
      lines.push(`| ${texts.join(' | ')} |`);
      if (index === 0 && cells.every((cell) => cell.name === 'th')) lines.push(`|${texts.map(() => ' --- ').join('|')}|`);
    });
    return lines.join('\n');
  }
}

/** The element holding the page's own content: <main>, a single <article>, or <body>. */
function contentRoot(document: HtmlDocument): { nodes: HtmlNode[]; insideContent: boolean } {
  const main = DomUtils.findOne((element) => element.name === 'main' || element.attribs.role === 'main', document.children, true);
  if (main) return { nodes: main.children as HtmlNode[], insideContent: true };
  const articles = DomUtils.getElementsByTagName('article', document, true);
  if (articles.length === 1 && articles[0]) return { nodes: articles[0].children as HtmlNode[], insideContent: true };
  const body = DomUtils.getElementsByTagName('body', document, true, 1)[0];
  return { nodes: (body ?? document).children as HtmlNode[], insideContent: false };
}

function metaContent(document: HtmlDocument, key: string): string | null {
  const meta = DomUtils.findOne(
    (element) => element.name === 'meta' && (element.attribs.name?.toLowerCase() === key || element.attribs.property?.toLowerCase() === key),
    document.children,
    true,
  );
  return meta?.attribs.content?.trim() || null;
}

/**
 * Parses an HTML page. `url` is where it was fetched from (relative links and the canonical URL
 * resolve against it); a same-origin `<link rel="canonical">` replaces it.
 */
export function parseHtml(source: string, options: { title?: string | null; url?: string | null } = {}): ParsedHtml {
  const document = parseDocument(source);
  let url = options.url ?? null;
  const base = DomUtils.findOne((element) => element.name === 'base' && Boolean(element.attribs.href), document.children, true);
  const baseUrl = (base && resolveUrl(base.attribs.href ?? '', url)) ?? url;

  const canonical = DomUtils.findOne(
    (element) => element.name === 'link' && (element.attribs.rel ?? '').toLowerCase().split(/\s+/).includes('canonical'),
    document.children,
    true,
  );
  const canonicalUrl = canonical ? resolveUrl(canonical.attribs.href ?? '', baseUrl) : null;
  if (canonicalUrl && (!url || new URL(canonicalUrl).origin === new URL(url).origin)) url = canonicalUrl;

  const converter = new HtmlToMarkdown(baseUrl);
  const root = contentRoot(document);
  const text = converter.renderBlocks(root.nodes, root.insideContent).join('\n\n');

  const titleElement = DomUtils.getElementsByTagName('title', document, true, 1)[0];
  const h1 = /^#\s+(.+)$/m.exec(text)?.[1];
  const title =
    options.title?.trim() ||
    (h1 ? plainHeading(h1) : '') ||
    metaContent(document, 'og:title') ||
    (titleElement ? DomUtils.textContent(titleElement).replace(/\s+/g, ' ').trim() : '') ||
    '';

  const links = new Set<string>();
  for (const anchor of DomUtils.getElementsByTagName('a', document, true)) {
    const rel = (anchor.attribs.rel ?? '').toLowerCase();
    if (rel.split(/\s+/).includes('nofollow')) continue;
    const href = resolveUrl(anchor.attribs.href ?? '', baseUrl);
    if (href && /^https?:/.test(href)) links.add(href);
  }
  const robots = (metaContent(document, 'robots') ?? '').toLowerCase();
  return {
    title,
    url,
    text,
    sourceType: 'html',
    links: [...links],
    robots: { noindex: /\b(noindex|none)\b/.test(robots), nofollow: /\b(nofollow|none)\b/.test(robots) },
  };
}
