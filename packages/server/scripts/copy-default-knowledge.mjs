#!/usr/bin/env node
// Part of the server's build (after tsc): copies the platform documentation the default tenant is
// seeded from — the repository's docs/**/*.md and its README.md files, chosen by the same
// defaultKnowledgeFiles() the server seeds with — into default-knowledge/, keeping their paths
// relative to the repository root. The folder is in the package's `files`, so the published server
// seeds the same knowledge as a checkout; the seeded documents' ids (`seed:docs/widget.md`) stay
// the same either way. Generated: not in git.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultKnowledgeFiles } from '../dist/knowledge/default-knowledge-files.js';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const repositoryDocs = fileURLToPath(new URL('../../../docs', import.meta.url));
const target = join(packageRoot, 'default-knowledge');

const { root, files } = await defaultKnowledgeFiles(repositoryDocs);
if (files.length === 0) {
  console.error(`copy-default-knowledge: no Markdown files under ${repositoryDocs}`);
  process.exit(1);
}
rmSync(target, { recursive: true, force: true });
for (const file of files) {
  const destination = join(target, relative(root, file));
  mkdirSync(dirname(destination), { recursive: true });
  cpSync(file, destination);
}
console.log(`copy-default-knowledge: ${files.length} files into ${relative(process.cwd(), target) || '.'}`);
