#!/usr/bin/env node
// Checks every import of the workspace against import-rules.json: which package may import which
// (by name only: a relative import never leaves its package), which layer of a package's src/ may
// import which, and that product code never imports test support. Prints each forbidden import
// and exits 1 when there is any. `node scripts/check-imports.mjs [root]`.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(process.argv[2] ?? new URL('..', import.meta.url).pathname);
const rules = JSON.parse(readFileSync(join(root, 'import-rules.json'), 'utf8'));
const SKIP = new Set(['node_modules', 'dist', 'data', '.tmp', 'test-artifacts', '.git']);
const CODE = /\.(ts|tsx|mts|mjs|js)$/;
// Static and dynamic imports, re-exports and side-effect imports (strings and comments are not parsed;
// a false hit in a comment would have to look exactly like an import statement).
const IMPORT = /(?:^|[;\s])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|(?:^|[;\s])import\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

const workspace = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces;
const packages = workspace.map((dir) => ({ dir: resolve(root, dir), name: JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')).name }));
const packageOf = (file) => packages.filter((p) => file.startsWith(p.dir + sep)).sort((a, b) => b.dir.length - a.dir.length)[0];

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (SKIP.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (CODE.test(name)) out.push(path);
  }
  return out;
}

const isTestCode = (pkg, file) => {
  const inside = relative(pkg.dir, file).split(sep);
  return pkg.name === '@miptech/testing' || pkg.name === '@miptech/bench' || inside[0] !== 'src' || /\.test\.tsx?$/.test(file);
};

const problems = [];
for (const pkg of packages) {
  const allowed = rules.packages[pkg.name];
  if (!allowed) {
    problems.push(`${pkg.name}: not in import-rules.json (every workspace package must say what it may import)`);
    continue;
  }
  const layerRules = rules.layers[relative(root, join(pkg.dir, 'src'))];
  for (const file of walk(pkg.dir, [])) {
    const text = readFileSync(file, 'utf8');
    const where = relative(root, file);
    const test = isTestCode(pkg, file);
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2] ?? match[3];
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec);
        const targetPackage = packageOf(target);
        if (!targetPackage || targetPackage.dir !== pkg.dir) {
          problems.push(`${where}: '${spec}' reaches outside ${pkg.name} by path; import the package by name`);
          continue;
        }
        if (layerRules && !test) checkLayer(layerRules, join(pkg.dir, 'src'), file, target, where, spec);
        continue;
      }
      const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
      if (!name.startsWith('@miptech/') || name === pkg.name) continue;
      if (test) continue; // tests are integration tests: any package, by name
      if (rules.testOnly.includes(name)) problems.push(`${where}: product code imports test support ${name}`);
      else if (!allowed.includes(name)) problems.push(`${where}: ${pkg.name} may not import ${name}`);
    }
  }
}

function checkLayer(layerRules, srcDir, file, target, where, spec) {
  const layerOf = (path) => {
    const parts = relative(srcDir, path).split(sep);
    return parts.length > 1 ? parts[0] : null; // files directly in src/ compose everything
  };
  const from = layerOf(file);
  const to = layerOf(target);
  if (from === null || to === null || from === to) return;
  const allowedLayers = layerRules[from];
  if (!allowedLayers) problems.push(`${where}: folder '${from}' is not a layer of import-rules.json`);
  else if (!allowedLayers.includes(to)) problems.push(`${where}: layer '${from}' may not import layer '${to}' ('${spec}')`);
}

if (problems.length > 0) {
  console.error(`import-rules.json forbids ${problems.length} import(s):\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`imports follow import-rules.json (${packages.length} packages)`);
