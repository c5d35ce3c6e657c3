/**
 * Sitemaps (sitemaps.org): a `<urlset>` lists pages, a `<sitemapindex>` lists more sitemaps.
 * Read with htmlparser2 in XML mode, which tolerates the sloppy XML real sites serve.
 */
import { DomUtils, parseDocument } from 'htmlparser2';

export interface ParsedSitemap {
  pages: string[];
  sitemaps: string[];
}

export function parseSitemap(xml: string): ParsedSitemap {
  const document = parseDocument(xml, { xmlMode: true });
  const locations = (parent: string) =>
    DomUtils.getElementsByTagName((name) => name.replace(/^.*:/, '').toLowerCase() === parent, document, true).flatMap((element) => {
      const loc = DomUtils.getElementsByTagName((name) => name.replace(/^.*:/, '').toLowerCase() === 'loc', element, true, 1)[0];
      const text = loc ? DomUtils.textContent(loc).trim() : '';
      return text ? [text] : [];
    });
  return { pages: locations('url'), sitemaps: locations('sitemap') };
}
