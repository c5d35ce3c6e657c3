/**
 * Which files the default knowledge is seeded from: a docs folder's Markdown files and the README.md
 * files around it. Only node's own modules here: the server's build runs it from dist/ (see
 * scripts/copy-default-knowledge.mjs) before anything else of the package is needed.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

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
