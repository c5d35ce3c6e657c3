// The sources import each other as `./x.ts` (run directly by tsx in development); tsc's
// rewriteRelativeImportExtensions turns those into `./x.js` in the JavaScript but leaves the
// declaration files as written, which older TypeScript versions reject in a consumer's project —
// so the relative `.ts` specifiers of emitted .d.ts files are rewritten to `.js`. Used by
// build-package.mjs, and run as a command by the widget's build.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const RELATIVE_TS = /((?:from|import)\s*\(?\s*['"])(\.{1,2}\/[^'"]+?)\.(m?)tsx?(['"])/g;

/** Rewrites every .d.ts file under `dir` in place. */
export function rewriteDeclarationSpecifiers(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) rewriteDeclarationSpecifiers(path);
    else if (name.endsWith('.d.ts')) {
      const text = readFileSync(path, 'utf8');
      const fixed = text.replace(RELATIVE_TS, (_, head, spec, m, quote) => `${head}${spec}.${m}js${quote}`);
      if (fixed !== text) writeFileSync(path, fixed);
    }
  }
}

// As a command: `node scripts/rewrite-declaration-specifiers.mjs <folder>` (the widget's build).
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (!process.argv[2]) {
    console.error('usage: rewrite-declaration-specifiers.mjs <folder>');
    process.exit(2);
  }
  rewriteDeclarationSpecifiers(process.argv[2]);
}
