#!/usr/bin/env node
// Bundles the React demo page's script (demo/react-demo.tsx → demo/dist/react-demo.js, served at
// /demo-react.js) with esbuild: React, @miptech/react and the widget's shared pieces in one IIFE.
// Kept out of dist/ (which the TypeScript build deletes and recreates), and written to a temporary
// file that is then renamed, so a running platform never finds the bundle missing or half written.
import { build } from 'esbuild';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = join(root, 'demo', 'dist');
const outfile = join(outDir, 'react-demo.js');

const result = await build({
  entryPoints: [join(root, 'demo', 'react-demo.tsx')],
  outfile,
  write: false,
  bundle: true,
  format: 'iife',
  minify: true,
  target: ['es2020', 'chrome90', 'firefox90', 'safari14', 'edge90'],
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
  // Workspace packages from their sources: the demo does not depend on their builds having run.
  conditions: ['@miptech/source'],
  define: { 'process.env.NODE_ENV': '"production"' },
  jsx: 'automatic',
  jsxImportSource: 'react',
});

mkdirSync(outDir, { recursive: true });
const [output] = result.outputFiles;
const temporary = `${outfile}.${process.pid}.tmp`;
writeFileSync(temporary, output.contents);
renameSync(temporary, outfile);
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
console.log(`demo/dist/react-demo.js: ${kb(output.contents.length)} minified, ${kb(gzipSync(output.contents, { level: 9 }).length)} gzipped`);
