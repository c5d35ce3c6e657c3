#!/usr/bin/env node
// Builds the embeddable widget (dist/widget.js) and the React demo bundle (dist/demo-react.js) with
// esbuild, prints their gzipped sizes and fails when widget.js exceeds its budget.
import { build } from 'esbuild';
import { cssTextPlugin } from './css-text-plugin.mjs';
import { mkdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const WIDGET_BUDGET_BYTES = 35 * 1024;
const browsers = ['es2020', 'chrome90', 'firefox90', 'safari14', 'edge90'];

mkdirSync(dist, { recursive: true });

const common = {
  bundle: true,
  format: 'iife',
  minify: true,
  target: browsers,
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [cssTextPlugin],
};

await build({
  ...common,
  entryPoints: [join(root, 'src/embed.ts')],
  outfile: join(dist, 'widget.js'),
  jsx: 'automatic',
  jsxImportSource: 'preact',
});

await build({
  ...common,
  entryPoints: [join(root, 'demo/react-demo.tsx')],
  outfile: join(dist, 'demo-react.js'),
  jsx: 'automatic',
  jsxImportSource: 'react',
});

function report(file, budget) {
  const bytes = readFileSync(file);
  const gzipped = gzipSync(bytes, { level: 9 }).length;
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  const limit = budget ? ` (budget ${kb(budget)})` : '';
  console.log(`${relative(process.cwd(), file)}: ${kb(bytes.length)} minified, ${kb(gzipped)} gzipped${limit}`);
  return gzipped;
}

const widgetSize = report(join(dist, 'widget.js'), WIDGET_BUDGET_BYTES);
report(join(dist, 'demo-react.js'));
if (widgetSize > WIDGET_BUDGET_BYTES) {
  console.error(`widget.js is ${widgetSize} bytes gzipped, over the ${WIDGET_BUDGET_BYTES} byte budget`);
  process.exit(1);
}
