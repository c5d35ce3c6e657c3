#!/usr/bin/env node
// Runs every *.test.ts file of the workspace with node's test runner (through tsx).
// Node 20's `--test` does not expand globs, so the files are listed here.
//
// Usage: node scripts/run-tests.mjs [--quick] [path-substring | test-file ...]
//   A path substring filters the workspace's test files; a path to an existing *.test.ts file
//   (anywhere) is run as it is.
//   --quick (`npm run test:quick`): the SQLite pass only, without the tests QUICK_SKIPS names
//   (the browser tests and the multi-node proof): the check to run while working, in minutes.
//
// The platform-level suites (conformance, gateway, e2e, http, client integration, the scale tests that
// start platforms through startTestPlatform, the CLI's database commands, the knowledge eval and the
// adversarial suite but its floods)
// use the store TEST_STORE names (sqlite unless set). Without TEST_STORE they run a second time with
// TEST_STORE=postgres when PostgreSQL is there: TEST_DATABASE_URL set and not empty (CI sets it), or
// unset and the default postgres://postgres@127.0.0.1:5432/test answering a connection (probed
// once, short timeout; the tests themselves follow the same rule, see
// packages/testing/src/test-databases.ts). So the whole server suite runs on both dialects.
// TEST_STORE set by the caller means one pass on that store. Tests that pick their dialect
// themselves (test/store, the cross-node scale tests) are not listed: a second pass would only
// repeat them.
//
// The installed-package tests (test/packaging: they build, pack and install tarballs) run in a
// last pass of their own, with a longer per-file limit.
//
// Output: node's spec reporter on stdout. A TAP copy of each pass goes to a temporary file only to
// count the results; the last line is `tests: N passed, N failed` over all passes. The exit code is
// non-zero when any pass fails.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { spawn } from 'node:child_process';
import { availableParallelism, tmpdir } from 'node:os';
import pg from 'pg';

const root = new URL('..', import.meta.url).pathname;
const roots = ['packages', 'apps', 'bench', 'scripts', 'test'];
const skip = new Set(['node_modules', 'dist', 'data', '.tmp', 'test-artifacts']);
/** Suites that start real platforms (startTestPlatform) and so run once per store. */
const PLATFORM_SUITES = [
  'packages/server/test/conformance/',
  'packages/server/test/gateway/',
  'packages/server/test/e2e/',
  'packages/server/test/http/',
  'packages/server/test/privacy/',
  'packages/server/test/adversarial/jwt-attacks.test.ts',
  'packages/server/test/adversarial/cross-tenant-matrix.test.ts',
  'packages/server/test/adversarial/first-frame-fuzz.test.ts',
  'packages/server/test/adversarial/rest-fuzz.test.ts',
  'packages/server/test/adversarial/frame-fuzz.test.ts',
  'packages/client/test/integration/',
  'packages/server/test/scale/redis-outage.test.ts',
  'packages/server/test/scale/answer-stored-on-end.test.ts',
  'packages/server/test/knowledge/knowledge-eval.test.ts',
  'packages/server/test/knowledge/admin-knowledge-routes.test.ts',
  'packages/server/test/knowledge/ingest-off-event-loop.test.ts',
  'apps/cli/test/cli-commands.test.ts',
  'apps/cli/test/kb-command.test.ts',
];
/**
 * What --quick leaves out, the one list of it: each entry says what it is and how its files are
 * recognised (from the path, or from what the file imports, so a new browser test is left out too).
 */
const QUICK_SKIPS = [
  { what: 'browser tests (Chromium through playwright-core)', matches: (file) => importsFrom(file, /^playwright-core$/) },
  { what: 'the multi-node proof (nginx, three nodes, a rolling deploy)', matches: (file) => file.endsWith('packages/server/test/scale/rolling-deploy.test.ts') },
  { what: 'installed-package tests (npm pack and install into fresh projects)', matches: isPackageTest },
];
/**
 * The installed-package tests build, pack and install tarballs (a native better-sqlite3 build
 * included) before they test anything: a file takes minutes, so they run in a pass of their own
 * with a longer per-file limit instead of raising the limit for every file.
 */
function isPackageTest(file) {
  return importsFrom(file, /^@miptech\/testing\/package-tarballs/);
}
const FILE_TIMEOUT_MS = 120_000;
const PACKAGE_TEST_TIMEOUT_MS = 600_000;
const IMPORT_SPECIFIER = /(?:^|[;\s])(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Whether `file` (relative to the root), or a file it imports by a relative path, imports a module matching `pattern`. */
function importsFrom(file, pattern, seen = new Set()) {
  const path = resolve(root, file);
  if (seen.has(path) || !existsSync(path)) return false;
  seen.add(path);
  for (const match of readFileSync(path, 'utf8').matchAll(IMPORT_SPECIFIER)) {
    const specifier = match[1] ?? match[2];
    if (pattern.test(specifier)) return true;
    if (specifier.startsWith('.') && importsFrom(relative(root, resolve(path, '..', specifier)), pattern, seen)) return true;
  }
  return false;
}
const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
const PROBE_TIMEOUT_MS = 1500;
const TEST_FILE = /\.test\.tsx?$/;
const SOURCE_CONDITION = '--conditions=@miptech/source';

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    if (skip.has(name)) continue;
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) walk(path, out);
    else if (TEST_FILE.test(name)) out.push(relative(root, path));
  }
  return out;
}

const quick = process.argv.includes('--quick');
const args = process.argv.slice(2).filter((arg) => arg !== '--quick');
const isFile = (arg) => TEST_FILE.test(arg) && existsSync(arg) && statSync(arg).isFile();
const given = args.filter(isFile).map((arg) => resolve(arg));
const filters = args.filter((arg) => !isFile(arg));
const found = filters.length === 0 && given.length > 0
  ? []
  : roots
    .flatMap((r) => { try { return walk(join(root, r), []); } catch { return []; } })
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
let files = [...new Set([...found, ...given])].sort();
if (quick) {
  const skipped = new Map(QUICK_SKIPS.map((skip) => [skip.what, 0]));
  files = files.filter((file) => {
    const skip = QUICK_SKIPS.find((entry) => entry.matches(file.split('\\').join('/')));
    if (skip) skipped.set(skip.what, skipped.get(skip.what) + 1);
    return !skip;
  });
  console.log(`--quick: SQLite only; left out: ${[...skipped].map(([what, count]) => `${count} × ${what}`).join('; ')}`);
}

if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

/**
 * The PostgreSQL of the second pass: TEST_DATABASE_URL when set (empty: none), else the default
 * when it accepts a connection. Passed on to the tests, so they do not probe again.
 */
async function findPostgres() {
  const configured = process.env.TEST_DATABASE_URL;
  if (configured !== undefined) return { url: configured || null, reason: 'TEST_DATABASE_URL is set to an empty string' };
  const client = new pg.Client({ connectionString: DEFAULT_POSTGRES_URL, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return { url: DEFAULT_POSTGRES_URL, reason: '' };
  } catch (error) {
    return { url: null, reason: `TEST_DATABASE_URL is unset and ${DEFAULT_POSTGRES_URL} does not answer (${error.message})` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

const passes = [];
let postgresUrl;
if (quick) {
  passes.push({ title: 'quick: selected tests without the browser and multi-node ones, TEST_STORE=sqlite', files, store: 'sqlite' });
} else {
  const packageFiles = files.filter(isPackageTest);
  const otherFiles = files.filter((file) => !isPackageTest(file));
  if (process.env.TEST_STORE) {
    if (otherFiles.length > 0) passes.push({ title: `all selected tests, TEST_STORE=${process.env.TEST_STORE}`, files: otherFiles, store: process.env.TEST_STORE });
  } else if (otherFiles.length > 0) {
    passes.push({ title: 'all selected tests, TEST_STORE=sqlite', files: otherFiles, store: 'sqlite' });
    const platformFiles = otherFiles.filter((file) => PLATFORM_SUITES.some((suite) => file.includes(suite)));
    if (platformFiles.length > 0) {
      const postgres = await findPostgres();
      if (postgres.url) {
        postgresUrl = postgres.url;
        passes.push({ title: 'platform-level suites again, TEST_STORE=postgres', files: platformFiles, store: 'postgres' });
      } else {
        console.log(`no PostgreSQL pass: ${postgres.reason}`);
      }
    }
  }
  if (packageFiles.length > 0) {
    passes.push({ title: 'installed-package tests (npm pack, fresh projects)', files: packageFiles, store: process.env.TEST_STORE ?? 'sqlite', timeoutMs: PACKAGE_TEST_TIMEOUT_MS });
  }
}

// The quick pass runs two files per core: much of a test's time is waiting (timers, child
// processes, sockets), which the extra files fill (2m38s instead of 3m07s on 2 busy cores).
const concurrency = process.env.TEST_CONCURRENCY ?? String(quick ? 2 * Math.max(2, availableParallelism()) : Math.max(2, availableParallelism()));
const reports = mkdtempSync(join(tmpdir(), 'miptech-test-reports-'));
let child = null;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    child?.kill(signal);
    rmSync(reports, { recursive: true, force: true });
    process.exit(1);
  });
}

function childEnv(store) {
  const env = { ...process.env, NODE_ENV: 'test', TEST_STORE: store };
  // Workspace packages resolve to their TypeScript sources (the "@miptech/source" export
  // condition) in the tests and in every process they start; installed tarballs use dist/.
  env.NODE_OPTIONS = [env.NODE_OPTIONS, SOURCE_CONDITION].filter(Boolean).join(' ');
  if (postgresUrl && env.TEST_DATABASE_URL === undefined) env.TEST_DATABASE_URL = postgresUrl;
  // Set when this script itself runs under `node --test`: it would make the runner below report
  // to a parent runner instead of to its reporters.
  delete env.NODE_TEST_CONTEXT;
  return env;
}

/** Runs one pass; resolves with its counts from the TAP copy. */
function runPass(pass, index) {
  const tap = join(reports, `pass-${index + 1}.tap`);
  console.log(`\n=== test pass ${index + 1}/${passes.length}: ${pass.title} (${pass.files.length} files)\n`);
  return new Promise((resolve) => {
    child = spawn(
      process.execPath,
      [
        '--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, `--test-timeout=${pass.timeoutMs ?? FILE_TIMEOUT_MS}`,
        '--test-reporter=spec', '--test-reporter-destination=stdout',
        '--test-reporter=tap', `--test-reporter-destination=${tap}`,
        ...pass.files,
      ],
      { cwd: root, stdio: 'inherit', env: childEnv(pass.store) },
    );
    child.on('exit', (code, signal) => {
      child = null;
      resolve({ ...countResults(tap), ok: code === 0 && !signal });
    });
  });
}

/** The summary of node's TAP output: passed, and failed (failed + cancelled); null when it has none (the run crashed). */
function countResults(tapFile) {
  let text = '';
  try {
    text = readFileSync(tapFile, 'utf8');
  } catch {
    return { passed: 0, failed: 0, summarised: false };
  }
  const count = (name) => {
    const matches = [...text.matchAll(new RegExp(`^# ${name} (\\d+)$`, 'gm'))];
    return matches.length > 0 ? Number(matches.at(-1)[1]) : null;
  };
  const passed = count('pass');
  const failed = count('fail');
  const cancelled = count('cancelled');
  if (passed === null || failed === null) return { passed: 0, failed: 0, summarised: false };
  return { passed, failed: failed + (cancelled ?? 0), summarised: true };
}

let passed = 0;
let failed = 0;
let ok = true;
for (const [index, pass] of passes.entries()) {
  const result = await runPass(pass, index);
  passed += result.passed;
  failed += result.failed;
  if (!result.summarised) {
    // The runner died before reporting: count the pass as one failure so the total says so.
    failed += 1;
    ok = false;
    console.log(`\ntest pass ${index + 1} ended without a summary (crashed or killed)`);
  }
  if (!result.ok || result.failed > 0) ok = false;
}
rmSync(reports, { recursive: true, force: true });
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(ok ? 0 : 1);
