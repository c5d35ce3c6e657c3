#!/usr/bin/env node
// Builds @miptech/widget into dist/:
// - widget.js           the `<script>` widget (IIFE, minified, from src/embed.ts); fails above its
//                       gzip budget
// - miptech-client.js   @miptech/client with @miptech/protocol inlined, one minified ES module for
//                       `<script type="module">` pages (served by the platform at /sdk/client.js)
// - index.js, assets.js the ES module entries for bundlers and for Node (dependencies stay
//                       imports), with source maps
// - *.d.ts              declarations by tsc (emitDeclarationOnly), `.ts` specifiers rewritten
//
// Everything is built into a staging folder first and then renamed into dist/ file by file, and
// files of earlier builds are removed afterwards: dist/widget.js is never missing while a platform
// serves it (tests build packages while other tests use the built widget).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { dirname, join, relative } from 'node:path';
import { cssTextPlugin } from './css-text-plugin.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
const WIDGET_BUDGET_BYTES = 35 * 1024;
const browsers = ['es2020', 'chrome90', 'firefox90', 'safari14', 'edge90'];

mkdirSync(join(root, '.tmp'), { recursive: true });
const staging = mkdtempSync(join(root, '.tmp', 'build-'));
try {
  await buildInto(staging);
  const built = listFiles(staging);
  mkdirSync(dist, { recursive: true });
  for (const file of built) {
    mkdirSync(dirname(join(dist, file)), { recursive: true });
    renameSync(join(staging, file), join(dist, file));
  }
  const current = new Set(built);
  for (const file of listFiles(dist)) if (!current.has(file)) rmSync(join(dist, file));
} finally {
  rmSync(staging, { recursive: true, force: true });
}

const widgetSize = report(join(dist, 'widget.js'), WIDGET_BUDGET_BYTES);
report(join(dist, 'miptech-client.js'));
if (widgetSize > WIDGET_BUDGET_BYTES) {
  console.error(`widget.js is ${widgetSize} bytes gzipped, over the ${WIDGET_BUDGET_BYTES} byte budget`);
  process.exit(1);
}

async function buildInto(out) {
  const common = {
    bundle: true,
    target: browsers,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'warning',
    // Workspace packages from their sources: this build does not depend on theirs having run.
    conditions: ['@miptech/source'],
    define: { 'process.env.NODE_ENV': '"production"' },
    plugins: [cssTextPlugin],
    jsx: 'automatic',
    jsxImportSource: 'preact',
  };

  await build({ ...common, format: 'iife', minify: true, entryPoints: [join(root, 'src/embed.ts')], outfile: join(out, 'widget.js') });
  await build({ ...common, format: 'esm', minify: true, entryPoints: [join(root, 'src/miptech-client.ts')], outfile: join(out, 'miptech-client.js') });

  // For bundlers: the widget's own modules in one file, its dependencies left as imports (they are
  // the package's dependencies, deduplicated by the consumer's bundler).
  await build({
    ...common,
    format: 'esm',
    platform: 'browser',
    sourcemap: true,
    packages: 'external',
    entryPoints: [join(root, 'src/index.ts')],
    outfile: join(out, 'index.js'),
  });
  await build({
    ...common,
    bundle: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    sourcemap: true,
    entryPoints: [join(root, 'src/assets.ts')],
    outfile: join(out, 'assets.js'),
  });

  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const steps = [
    [tsc, '-p', 'tsconfig.build.json', '--outDir', out],
    // The repository's one rewrite of `.ts` specifiers in declarations (also used by build-package.mjs).
    [join(root, '../../scripts/rewrite-declaration-specifiers.mjs'), out],
  ];
  for (const args of steps) {
    const result = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root });
    if (result.status !== 0) process.exit(result.status ?? 1);
  }
}

function listFiles(dir, prefix = '') {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path, join(prefix, name)) : [join(prefix, name)];
  });
}

function report(file, budget) {
  const bytes = readFileSync(file);
  const gzipped = gzipSync(bytes, { level: 9 }).length;
  const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
  const limit = budget ? ` (budget ${kb(budget)})` : '';
  console.log(`${relative(process.cwd(), file)}: ${kb(bytes.length)} minified, ${kb(gzipped)} gzipped${limit}`);
  return gzipped;
}
