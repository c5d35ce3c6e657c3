/**
 * Seeds a tenant's knowledge from the platform's own documentation, so the default assistant
 * can answer questions about the platform on a fresh start: docs/*.md plus the repository's and
 * the packages' README.md files. Safe to run on every start: unchanged files are not indexed
 * again, changed ones are replaced, and seeded documents whose file disappeared are removed.
 * Documents added by the tenant (other external ids) are never touched.
 *
 * The documentation comes from the server package itself (default-knowledge/, built from the
 * repository's docs by scripts/copy-default-knowledge.mjs and shipped in the tarball), so an
 * installed server seeds what a checkout does. A missing or empty folder is logged as a warning and
 * leaves the seeded documents as they are: a broken installation must not look like "no docs".
 */
import { readFile } from 'node:fs/promises';
import { relative, resolve, sep } from 'node:path';
import type { Logger } from '../base/logger.ts';
import { defaultKnowledgeFiles } from './default-knowledge-files.ts';
import { ingestDocument } from './ingest-document.ts';
import type { KnowledgeDeps } from './knowledge-deps.ts';
import { listAllDocuments } from './list-all-documents.ts';
import { removeDocument } from './remove-document.ts';

/** External ids of seeded documents start with this, e.g. `seed:docs/widget.md`. */
export const SEED_EXTERNAL_ID_PREFIX = 'seed:';
export { defaultKnowledgeFiles };

export interface SeedDefaultKnowledgeOptions extends KnowledgeDeps {
  tenantId: string;
  /** The platform's docs/ directory; README.md files are looked up next to it (repository root and packages/*). */
  docsDir: string;
  /** When set, sources link to `docsBaseUrl` + the file's path in the repository. */
  docsBaseUrl?: string | null;
  /** Told when there is nothing to seed from. */
  logger?: Pick<Logger, 'warn'>;
}

export interface SeedResult {
  /** Documents indexed by this run (new or changed). */
  indexed: number;
  unchanged: number;
  removed: number;
}

/** Indexes the platform documentation for `tenantId` (idempotent). */
export async function seedDefaultKnowledge(options: SeedDefaultKnowledgeOptions): Promise<SeedResult> {
  const { tenantId } = options;
  const { root, files } = await defaultKnowledgeFiles(options.docsDir);
  const result: SeedResult = { indexed: 0, unchanged: 0, removed: 0 };
  if (files.length === 0) {
    options.logger?.warn(
      { tenantId, docsDir: resolve(options.docsDir) },
      'no default knowledge to seed: the folder is missing or holds no Markdown files (see DOCS_DIR); seeded documents are kept as they are',
    );
    return result;
  }
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
