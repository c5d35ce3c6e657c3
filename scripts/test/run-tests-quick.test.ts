/**
 * `scripts/run-tests.mjs --quick` (npm run test:quick): one SQLite pass, even with PostgreSQL
 * configured, without the browser tests (recognised by importing playwright-core, directly or
 * through a support file) and without the multi-node proof. Runs the script on fixture test files
 * in a temporary directory; the files it must leave out fail when run.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnTestRunner } from './spawn-test-runner.ts';

let dir: string;

function write(path: string, text: string): string {
  const file = join(dir, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'miptech-quick-runner-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  // PostgreSQL "configured" (but unreachable): --quick must still make one SQLite pass only.
  return spawnTestRunner(args, { TEST_DATABASE_URL: 'postgres://127.0.0.1:1/none' });
}

test('--quick: one SQLite pass without the browser tests and the multi-node proof', async () => {
  const fails = "import { test } from 'node:test';\ntest('left out by --quick', () => { throw new Error('this file should not run with --quick'); });\n";
  const platform = write('packages/server/test/conformance/store.test.ts', "import { test } from 'node:test';\ntest(`store is ${process.env.TEST_STORE}`, () => {});\n");
  const unit = write('packages/server/test/store/unit.test.ts', "import { test } from 'node:test';\ntest('unit', () => {});\n");
  write('packages/widget/test/support/browser.ts', "import { chromium } from 'playwright-core';\nexport const browser = chromium;\n");
  const viaSupport = write('packages/widget/test/widget-thing.test.ts', `import { browser } from './support/browser.ts';\nvoid browser;\n${fails}`);
  const direct = write('packages/client/test/page.test.ts', `import { chromium } from 'playwright-core';\nvoid chromium;\n${fails}`);
  const proof = write('packages/server/test/scale/rolling-deploy.test.ts', fails);

  const { code, stdout } = await run(['--quick', platform, unit, viaSupport, direct, proof]);
  assert.equal(code, 0, stdout);
  assert.match(stdout, /left out: 2 × browser tests/);
  assert.match(stdout, /1 × the multi-node proof/);
  assert.match(stdout, /store is sqlite/);
  assert.doesNotMatch(stdout, /store is postgres/, 'no PostgreSQL pass');
  assert.doesNotMatch(stdout, /left out by --quick/);
  assert.equal(stdout.trimEnd().split('\n').at(-1), 'tests: 2 passed, 0 failed');

  // Without --quick the same files run (and the left-out ones fail): the check above can fail.
  const full = await run([platform, unit, viaSupport, direct, proof]);
  assert.notEqual(full.code, 0);
  assert.match(full.stdout, /left out by --quick/);
});
