/**
 * The `miptech` CLI as a user gets it from npm: `npm pack` of protocol, server, client, widget,
 * platform and cli, the tarballs installed (not linked) into a fresh project under the OS temp
 * folder, run there with plain node and without the `@miptech/source` condition — so only dist/,
 * each package's `files` and its runtime files are exercised: the database migrations, the default
 * knowledge the server seeds, the widget's script the platform serves. tsx is not installed there,
 * so it cannot be in the process.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanPackageEnv, installTarballs, packWorkspacePackages, run } from '@miptech/testing/package-tarballs.ts';
import { freePort } from '@miptech/testing/cluster/free-port.ts';

const PACKAGES = ['@miptech/protocol', '@miptech/server', '@miptech/client', '@miptech/widget', '@miptech/platform', '@miptech/cli'];
/** Building six packages and installing them (better-sqlite3 compiles when no prebuilt binary can be fetched). */
const SETUP_TIMEOUT_MS = 15 * 60_000;
const STEP_TIMEOUT_MS = 120_000;

let workDir: string;
let project: string;
let bin: string;

before(
  async () => {
    workDir = mkdtempSync(join(tmpdir(), 'miptech-cli-tarball-'));
    const tarballs = await packWorkspacePackages(PACKAGES, join(workDir, 'tarballs'));
    project = join(workDir, 'project');
    await installTarballs(project, tarballs, { timeoutMs: SETUP_TIMEOUT_MS });
    bin = join(project, 'node_modules', '.bin', 'miptech');
  },
  { timeout: SETUP_TIMEOUT_MS },
);

after(() => {
  // MIPTECH_KEEP_CONSUMERS=1 keeps the project for a look after a failure.
  if (workDir && process.env.MIPTECH_KEEP_CONSUMERS !== '1') rmSync(workDir, { recursive: true, force: true });
});

test('the installed project has the CLI and no tsx; `npx miptech --help` lists the commands', async (t) => {
  assert.equal(existsSync(join(project, 'node_modules', 'tsx')), false, 'tsx is a development tool only');
  const { stdout } = await run('npx', ['--no-install', 'miptech', '--help'], { cwd: project, timeoutMs: STEP_TIMEOUT_MS });
  for (const name of ['serve', 'migrate', 'token', 'tenant', 'kb']) assert.match(stdout, new RegExp(`^  ${name}\\b`, 'm'));
  assert.match(stdout, /MIPTECH_DATA_DIR/);
  // Start-up time of the installed command, for the record (it depends on the machine's load).
  const started = performance.now();
  const direct = await run(bin, ['--help'], { cwd: project, timeoutMs: STEP_TIMEOUT_MS });
  assert.equal(direct.stdout, stdout);
  t.diagnostic(`miptech --help: ${Math.round(performance.now() - started)} ms`);
});

test(
  '`miptech serve` on a fresh data directory: ready, default knowledge seeded, widget served, next steps logged; SIGTERM exits 0; then `miptech token` works from elsewhere',
  { timeout: 4 * STEP_TIMEOUT_MS },
  async () => {
    const dataDir = join(workDir, 'data');
    const port = await freePort();
    const env = cleanPackageEnv({ MIPTECH_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' });
    const child = spawn(bin, ['serve'], { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    try {
      const records = () =>
        stdout
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as Record<string, unknown>);
      const deadline = Date.now() + STEP_TIMEOUT_MS;
      let steps: Record<string, unknown> | undefined;
      while (!steps) {
        if (child.exitCode !== null) assert.fail(`serve exited with ${child.exitCode}\n${stdout}\n${stderr}`);
        if (Date.now() > deadline) assert.fail(`no "next steps" record within ${STEP_TIMEOUT_MS} ms\n${stdout}\n${stderr}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
        steps = records().find((record) => record.msg === 'next steps');
      }

      const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
      assert.equal(ready.status, 200, await ready.text());
      const seeded = records().find((record) => record.msg === 'default knowledge seeded');
      assert.ok(seeded, stdout);
      assert.ok(Number(seeded.indexed) >= 5, `the shipped documentation was seeded: ${JSON.stringify(seeded)}`);
      assert.equal(records().filter((record) => Number(record.level) >= 40).length, 0, `no warning or error:\n${stdout}`);

      assert.match(String(steps.publishableKey), /^pk_/);
      const demo = await fetch(String(steps.demoUrl));
      assert.equal(demo.status, 200);
      assert.ok((await demo.text()).includes(String(steps.publishableKey)));
      const widget = await fetch(`http://127.0.0.1:${port}/widget.js`);
      assert.equal(widget.status, 200, 'the widget script comes from the installed @miptech/widget');
      assert.ok((await widget.text()).length > 1000);
      assert.equal(statSync(join(dataDir, 'jwt-secret')).mode & 0o777, 0o600);

      child.kill('SIGTERM');
      assert.equal(await exited, 0, stderr);
      assert.equal(stderr, '');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }

    // Another working directory, the same data directory: the token is signed with serve's secret.
    const elsewhere = join(workDir, 'elsewhere');
    mkdirSync(elsewhere);
    const token = await run(bin, ['token', '--sub', 'alice'], { cwd: elsewhere, timeoutMs: STEP_TIMEOUT_MS, env: cleanPackageEnv({ MIPTECH_DATA_DIR: dataDir }) });
    assert.match(token.stdout.trim(), /^[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.ok(readFileSync(join(dataDir, 'jwt-secret'), 'utf8').trim().length >= 32);
    assert.equal(existsSync(join(elsewhere, 'data')), false);
  },
);
