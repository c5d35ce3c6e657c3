/**
 * Seeds a tenant's knowledge from the platform's own documentation, so the default assistant
 * can answer questions about the platform on a fresh start: docs/*.md plus the repository's and
 * the packages' README.md files. Safe to run on every start: unchanged files are not indexed
 * again, changed ones are replaced, and seeded documents whose file disappeared are removed.
 * Documents added by the tenant (other external ids) are never touched.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { ingestDocument } from './ingest-document.ts';
import type { KnowledgeDeps } from './knowledge-deps.ts';
import { listAllDocuments } from './list-all-documents.ts';
import { removeDocument } from './remove-document.ts';

/** External ids of seeded documents start with this, e.g. `seed:docs/widget.md`. */
export const SEED_EXTERNAL_ID_PREFIX = 'seed:';

export interface SeedDefaultKnowledgeOptions extends KnowledgeDeps {
  tenantId: string;
  /** The platform's docs/ directory; README.md files are looked up next to it (repository root and packages/*). */
  docsDir: string;
  /** When set, sources link to `docsBaseUrl` + the file's path in the repository. */
  docsBaseUrl?: string | null;
}

export interface SeedResult {
  /** Documents indexed by this run (new or changed). */
  indexed: number;
  unchanged: number;
  removed: number;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((info) => info.isFile(), () => false);
}

async function markdownFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...(await markdownFiles(path)));
    else if (entry.isFile() && /\.md$/i.test(entry.name)) files.push(path);
  }
  return files;
}

/** The files seeded from a docs directory: docs/**\/*.md, ../README.md, ../packages/*\/README.md, ../apps/*\/README.md. */
export async function defaultKnowledgeFiles(docsDir: string): Promise<{ root: string; files: string[] }> {
  const docs = resolve(docsDir);
  const root = resolve(docs, '..');
  const files = await markdownFiles(docs);
  if (await isFile(join(root, 'README.md'))) files.push(join(root, 'README.md'));
  for (const group of ['packages', 'apps']) {
    const entries = await readdir(join(root, group), { withFileTypes: true }).catch(() => []);
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const readme = join(root, group, entry.name, 'README.md');
      if (entry.isDirectory() && (await isFile(readme))) files.push(readme);
    }
  }
  return { root, files };
}

/** Indexes the platform documentation for `tenantId` (idempotent). */
export async function seedDefaultKnowledge(options: SeedDefaultKnowledgeOptions): Promise<SeedResult> {
  const { tenantId } = options;
  const { root, files } = await defaultKnowledgeFiles(options.docsDir);
  const result: SeedResult = { indexed: 0, unchanged: 0, removed: 0 };
  const seen = new Set<string>();
  for (const file of files) {
    const path = relative(root, file).split(sep).join('/');
    const externalId = `${SEED_EXTERNAL_ID_PREFIX}${path}`;
    seen.add(externalId);
    const content = await readFile(file, 'utf8');
    if (!content.trim()) continue;
    const url = options.docsBaseUrl ? new URL(path, options.docsBaseUrl.endsWith('/') ? options.docsBaseUrl : `${options.docsBaseUrl}/`).toString() : null;
    const { changed } = await ingestDocument(options, tenantId, { format: 'markdown', content, url, externalId, fileName: path });
    if (changed) result.indexed += 1;
    else result.unchanged += 1;
  }
  for (const document of await listAllDocuments(options.store.documents, tenantId)) {
    const externalId = document.externalId ?? '';
    if (externalId.startsWith(SEED_EXTERNAL_ID_PREFIX) && !seen.has(externalId)) {
      if (await removeDocument(options, tenantId, document.id)) result.removed += 1;
    }
  }
  return result;
}
