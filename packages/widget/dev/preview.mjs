#!/usr/bin/env node
// Builds the widget with a scripted client into .tmp/preview/ and prints the page to open.
import { build } from 'esbuild';
import { cssTextPlugin } from '../scripts/css-text-plugin.mjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, '.tmp/preview');
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, 'dev/preview-entry.ts')],
  outfile: join(out, 'preview.js'),
  bundle: true,
  format: 'iife',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  logLevel: 'warning',
  plugins: [cssTextPlugin],
});
writeFileSync(
  join(out, 'index.html'),
  `<!doctype html><html lang="${process.argv[2] ?? 'en'}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Widget preview</title><style>body{font:16px Georgia,serif;background:#eef0f4;margin:40px} * { color: red !important; } button { background: yellow !important; }</style></head>
<body><h1>Host page</h1><p>Host CSS is hostile on purpose: every element red, every button yellow.</p><button>host button</button>
<script src="preview.js"></script></body></html>`,
);
console.log(join(out, 'index.html'));
