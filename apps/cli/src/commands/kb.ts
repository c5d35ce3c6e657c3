/**
 * `miptech kb`: a tenant's knowledge base from the terminal, working directly on the database
 * named by DATABASE_URL (the same one a running server uses; servers see changes at once).
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import {
  DOCUMENT_FORMATS,
  crawlSite,
  formatFromName,
  ingestDocument,
  reindexDocuments,
  removeDocument,
  type DocumentRecord,
  type DocumentSourceType,
  type OpenedStore,
} from '@miptech/server';
import { UsageError, type CliCommand, type CliContext } from '../cli-command.ts';
import { integerOption, parseOptions } from '../parse-options.ts';
import { withStore } from '../with-store.ts';

const USAGE = `Usage:
  miptech kb add --tenant T [--format F] [--title TEXT] [--url URL] [--external-id ID] FILE...
  miptech kb list --tenant T [--limit N] [--offset N] [--json]
  miptech kb rm --tenant T ID...                 document ids (or external ids)
  miptech kb search --tenant T [--limit N] [--json] QUESTION...
  miptech kb crawl --tenant T [--max-pages N] [--timeout MS] [--keep-missing] URL
  miptech kb reindex --tenant T

  add       imports Markdown, text, HTML or PDF files (format from the extension, or --format
            ${DOCUMENT_FORMATS.join('|')}); a file added again replaces its earlier version
  search    shows what retrieval finds for a question (what the assistant gets to answer from)
  crawl     imports a website: its sitemap, or same-site links; respects robots.txt; a re-crawl
            updates changed pages and removes vanished ones (unless --keep-missing)
  reindex   rebuilds the tenant's search index from the stored documents`;

const OPTIONS = {
  tenant: { type: 'string' },
  format: { type: 'string' },
  title: { type: 'string' },
  url: { type: 'string' },
  'external-id': { type: 'string' },
  limit: { type: 'string' },
  offset: { type: 'string' },
  json: { type: 'boolean' },
  'max-pages': { type: 'string' },
  timeout: { type: 'string' },
  'keep-missing': { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseOptions<typeof OPTIONS>>['values'];

function table(context: CliContext, header: string[], rows: string[][]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => (row[column] ?? '').length)));
  for (const row of [header, ...rows]) {
    context.stdout(`${row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()}\n`);
  }
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** A stable external id for a file: its path relative to the working directory. */
function fileExternalId(path: string): string {
  const absolute = resolve(path);
  const fromCwd = relative(process.cwd(), absolute);
  return (fromCwd.startsWith('..') || isAbsolute(fromCwd) ? absolute : fromCwd).split(sep).join('/');
}

function documentRow(document: DocumentRecord): string[] {
  return [document.id, document.sourceType, String(document.chunkCount), oneLine(document.title, 40), document.externalId ?? ''];
}

async function add(context: CliContext, opened: OpenedStore, tenantId: string, values: Values, files: string[]): Promise<number> {
  if (files.length === 0) throw new UsageError('kb add needs at least one file');
  if (files.length > 1 && (values['external-id'] || values.title || values.url)) {
    throw new UsageError('--external-id, --title and --url apply to one file at a time');
  }
  let format: DocumentSourceType | null = null;
  if (values.format !== undefined) {
    if (!(DOCUMENT_FORMATS as readonly string[]).includes(values.format)) throw new UsageError(`--format must be one of ${DOCUMENT_FORMATS.join(', ')}`);
    format = values.format as DocumentSourceType;
  }
  if (values.url !== undefined && !/^https?:\/\/\S+$/i.test(values.url)) throw new UsageError('--url must be an http(s) URL');
  let failures = 0;
  for (const file of files) {
    const fileFormat = format ?? formatFromName(file);
    if (!fileFormat) {
      context.stderr(`${file}: unknown format (use --format ${DOCUMENT_FORMATS.join('|')})\n`);
      failures += 1;
      continue;
    }
    try {
      const bytes = await readFile(file);
      const result = await ingestDocument(opened, tenantId, {
        format: fileFormat,
        content: fileFormat === 'pdf' ? new Uint8Array(bytes) : bytes.toString('utf8'),
        title: values.title ?? null,
        url: values.url ?? null,
        fileName: file,
        externalId: values['external-id'] ?? fileExternalId(file),
      });
      const document = result.document;
      context.stdout(`${result.changed ? 'indexed  ' : 'unchanged'}  ${document.id}  ${document.title} (${document.chunkCount} chunks)\n`);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      context.stderr(`${file}: ${typeof code === 'string' ? `[${code}] ` : ''}${(error as Error).message}\n`);
      failures += 1;
    }
  }
  return failures === 0 ? 0 : 1;
}

async function list(context: CliContext, opened: OpenedStore, tenantId: string, values: Values): Promise<number> {
  const limit = integerOption(values.limit, 'limit', 50);
  const offset = integerOption(values.offset, 'offset', 0, 0);
  const { items, total } = await opened.store.documents.list(tenantId, { limit, offset });
  if (values.json) {
    context.stdout(`${JSON.stringify({ items, total }, null, 2)}\n`);
    return 0;
  }
  table(context, ['ID', 'FORMAT', 'CHUNKS', 'TITLE', 'EXTERNAL ID'], items.map(documentRow));
  context.stderr(`${items.length} of ${total} document(s)${total > offset + items.length ? `; more with --offset ${offset + items.length}` : ''}.\n`);
  return 0;
}

async function remove(context: CliContext, opened: OpenedStore, tenantId: string, ids: string[]): Promise<number> {
  if (ids.length === 0) throw new UsageError('kb rm needs at least one document id');
  let missing = 0;
  for (const id of ids) {
    const document = (await opened.store.documents.get(tenantId, id)) ?? (await opened.store.documents.findByExternalId(tenantId, id));
    if (document && (await removeDocument(opened, tenantId, document.id))) {
      context.stdout(`removed  ${document.id}  ${document.title}\n`);
    } else {
      context.stderr(`${id}: no such document in tenant "${tenantId}"\n`);
      missing += 1;
    }
  }
  return missing === 0 ? 0 : 1;
}

async function search(context: CliContext, opened: OpenedStore, tenantId: string, values: Values, words: string[]): Promise<number> {
  const question = words.join(' ').trim();
  if (!question) throw new UsageError('kb search needs a question');
  const passages = await opened.knowledge.search(tenantId, question, { limit: integerOption(values.limit, 'limit', 5) });
  if (values.json) {
    context.stdout(`${JSON.stringify(passages, null, 2)}\n`);
    return 0;
  }
  if (passages.length === 0) context.stderr('No passage matches: the assistant would say it does not know.\n');
  passages.forEach((passage, index) => {
    const where = [passage.title, passage.heading].filter(Boolean).join(' > ');
    context.stdout(`${index + 1}. [${passage.score.toFixed(2)}] ${where}${passage.url ? `  <${passage.url}>` : ''}\n   ${oneLine(passage.text, 240)}\n`);
  });
  return 0;
}

async function crawl(context: CliContext, opened: OpenedStore, tenantId: string, values: Values, urls: string[]): Promise<number> {
  const [startUrl, ...rest] = urls;
  if (!startUrl || rest.length > 0) throw new UsageError('kb crawl needs exactly one start URL');
  if (!/^https?:\/\/\S+$/i.test(startUrl)) throw new UsageError('the start URL must be http(s)');
  const result = await crawlSite({
    store: opened.store,
    knowledge: opened.knowledge,
    tenantId,
    startUrl,
    maxPages: integerOption(values['max-pages'], 'max-pages', 100),
    requestTimeoutMs: integerOption(values.timeout, 'timeout', 10_000),
    removeMissing: !values['keep-missing'],
    onPage: (event) => context.stderr(`${event.status.padEnd(9)} ${event.url}${event.reason ? `  (${event.reason})` : ''}\n`),
  });
  context.stdout(
    `${result.indexed} indexed, ${result.unchanged} unchanged, ${result.removed} removed, ${result.skipped.length} skipped, ${result.failed.length} failed` +
      ` (${result.fetched} fetched from the ${result.source === 'sitemap' ? 'sitemap' : 'site links'}${result.truncated ? '; page limit reached' : ''})\n`,
  );
  return result.indexed + result.unchanged > 0 || result.failed.length === 0 ? 0 : 1;
}

const kb: CliCommand = {
  usage: USAGE,
  async run(args, context) {
    const { values, positionals } = parseOptions(args, OPTIONS, true);
    const [action, ...rest] = positionals;
    if (!action) throw new UsageError('kb needs an action');
    if (!['add', 'list', 'rm', 'search', 'crawl', 'reindex'].includes(action)) throw new UsageError(`unknown kb action "${action}"`);
    const tenantId = values.tenant;
    if (!tenantId) throw new UsageError('--tenant is required');
    return withStore(context, async (opened) => {
      if (!(await opened.store.tenants.get(tenantId))) throw new Error(`tenant "${tenantId}" does not exist (see \`miptech tenant list\`)`);
      switch (action) {
        case 'add':
          return add(context, opened, tenantId, values, rest);
        case 'list':
          return list(context, opened, tenantId, values);
        case 'rm':
          return remove(context, opened, tenantId, rest);
        case 'search':
          return search(context, opened, tenantId, values, rest);
        case 'crawl':
          return crawl(context, opened, tenantId, values, rest);
        default: {
          const result = await reindexDocuments(opened, tenantId);
          context.stdout(`${result.reindexed} document(s) re-indexed${result.skipped.length > 0 ? `, ${result.skipped.length} skipped (text not stored)` : ''}\n`);
          return 0;
        }
      }
    });
  },
};

export default kb;
