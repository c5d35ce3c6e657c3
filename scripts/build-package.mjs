#!/usr/bin/env node
// Builds one workspace package to dist/ (ESM JavaScript, .d.ts, source maps) with its
// tsconfig.build.json: `node ../../scripts/build-package.mjs` from the package's folder.
// The sources import each other as `./x.ts` (run directly by tsx in development); tsc's
// rewriteRelativeImportExtensions turns those into `./x.js` in the JavaScript but leaves the
// declaration files as written, which older TypeScript versions reject in a consumer's project —
// so the relative `.ts` specifiers of the emitted .d.ts files are rewritten to `.js` afterwards.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { rewriteDeclarationSpecifiers } from './rewrite-declaration-specifiers.mjs';

const packageDir = process.cwd();
const dist = join(packageDir, 'dist');
rmSync(dist, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { stdio: 'inherit', cwd: packageDir });
if (result.status !== 0) process.exit(result.status ?? 1);

rewriteDeclarationSpecifiers(dist);
