/**
 * scripts/run-tests.mjs: the platform-level suites run a second time on PostgreSQL when
 * TEST_DATABASE_URL is set (and not when it is empty), the exit code fails when either pass fails,
 * and the last line sums both passes. Runs the script on small fixture test files in a temporary
 * directory. (Unset, the script probes postgres://postgres@127.0.0.1:5432/test: not tested here,
 * the answer depends on the machine.)
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnTestRunner } from './spawn-test-runner.ts';

let dir: string;

function fixture(path: string, body: string): string {
  const file = join(dir, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `import { test } from 'node:test';\n${body}\n`);
  return file;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'miptech-runner-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function run(files: string[], env: Record<string, string | undefined>) {
  return spawnTestRunner(files, env);
}

const lastLine = (text: string) => text.trimEnd().split('\n').at(-1);

test('with TEST_DATABASE_URL the platform-level suites run again with TEST_STORE=postgres; the last line sums both passes', async () => {
  const platform = fixture('packages/server/test/conformance/store.test.ts', "test(`store is ${process.env.TEST_STORE}`, () => {});");
  const unit = fixture('packages/server/test/store/unit.test.ts', "test('unit', () => {});\ntest('unit 2', () => {});");
  const cli = fixture('apps/cli/test/kb-command.test.ts', "test(`cli store is ${process.env.TEST_STORE}`, () => {});");
  const { code, stdout } = await run([platform, unit, cli], { TEST_DATABASE_URL: 'postgres://127.0.0.1:1/none' });
  assert.equal(code, 0, stdout);
  assert.match(stdout, /store is sqlite/);
  assert.match(stdout, /store is postgres/);
  assert.match(stdout, /cli store is postgres/);
  assert.equal(lastLine(stdout), 'tests: 6 passed, 0 failed');
});

test('with TEST_DATABASE_URL empty (or with TEST_STORE given) there is one pass', async () => {
  const platform = fixture('packages/server/test/gateway/store.test.ts', "test(`store is ${process.env.TEST_STORE}`, () => {});");
  const single = await run([platform], { TEST_DATABASE_URL: '' });
  assert.equal(single.code, 0);
  assert.doesNotMatch(single.stdout, /store is postgres/);
  assert.match(single.stdout, /no PostgreSQL pass: TEST_DATABASE_URL is set to an empty string/);
  assert.equal(lastLine(single.stdout), 'tests: 1 passed, 0 failed');
  const chosen = await run([platform], { TEST_STORE: 'postgres', TEST_DATABASE_URL: 'postgres://127.0.0.1:1/none' });
  assert.match(chosen.stdout, /store is postgres/);
  assert.doesNotMatch(chosen.stdout, /store is sqlite/);
  assert.equal(lastLine(chosen.stdout), 'tests: 1 passed, 0 failed');
});

test('a failure in the second pass only: the exit code is non-zero and the failure is counted', async () => {
  const platform = fixture(
    'packages/client/test/integration/fails-on-postgres.test.ts',
    "test('works on this store', () => { if (process.env.TEST_STORE === 'postgres') throw new Error('broken on postgres'); });",
  );
  const { code, stdout } = await run([platform], { TEST_DATABASE_URL: 'postgres://127.0.0.1:1/none' });
  assert.equal(code, 1);
  assert.equal(lastLine(stdout), 'tests: 1 passed, 1 failed');
});
