/**
 * `miptech token`, `miptech tenant` and `miptech migrate` against a real database: SQLite in a
 * temp DATA_DIR, or PostgreSQL in a schema of its own with TEST_STORE=postgres. The data is first
 * set up as a first `miptech serve` leaves it (database migrated, JWT secret created), unless a
 * test asks for a fresh one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createTokenService, ensureJwtSecret, loadConfig, requireJwtSecret } from '@miptech/server';
import type { CliContext } from '../src/cli-command.ts';
import { runCli } from '../src/main.ts';
import { cliTestDatabase } from './support/cli-test-database.ts';
import { testStore } from '@miptech/testing/test-platform.ts';

async function cli(t: { after(fn: () => Promise<void>): void }, options: { fresh?: boolean } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'miptech-cli-'));
  const database = cliTestDatabase(dataDir);
  t.after(async () => {
    await database.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  });
  const env = { ...database.env, DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
  const run = async (...argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const context: CliContext = { env, stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) };
    const code = await runCli(argv, context);
    return { code, stdout, stderr };
  };
  if (!options.fresh) {
    const migrated = await run('migrate');
    assert.equal(migrated.code, 0, migrated.stderr);
    ensureJwtSecret(loadConfig(env));
  }
  return { env, run };
}

test('token: mints a verifiable JWT for the default tenant with the given scopes, sub and ttl', async (t) => {
  const { env, run } = await cli(t);
  const result = await run('token', '--scope', 'chat:create,chat:send', '--sub', 'alice', '--ttl', '120');
  assert.equal(result.code, 0, result.stderr);
  const tokens = await createTokenService(requireJwtSecret(loadConfig(env)));
  const verified = await tokens.verify(result.stdout.trim());
  assert.equal(verified.tenantId, 'miptech-company');
  assert.equal(verified.subject, 'alice');
  assert.deepEqual(verified.scopes, ['chat:create', 'chat:send']);
  assert.ok(verified.expiresAt - Date.now() / 1000 <= 121);
});

test('token: refuses an unknown tenant, an unknown scope and a bad ttl', async (t) => {
  const { run } = await cli(t);
  assert.equal((await run('token', '--tenant', 'nope')).code, 1);
  const scope = await run('token', '--scope', 'chat:everything');
  assert.equal(scope.code, 2);
  assert.match(scope.stderr, /unknown scope/);
  assert.equal((await run('token', '--ttl', 'soon')).code, 2);
  assert.equal((await run('token', '--bogus')).code, 2);
});

test('tenant: create prints both keys once; list, show and update', async (t) => {
  const { run } = await cli(t);
  const created = await run('tenant', 'create', 'acme', '--name', 'Acme', '--origin', 'https://www.acme.example', '--anonymous-widget', 'true');
  assert.equal(created.code, 0, created.stderr);
  const tenant = JSON.parse(created.stdout);
  assert.equal(tenant.id, 'acme');
  assert.match(tenant.publishable_key, /^pk_/);
  assert.match(tenant.secret_key, /^sk_/);
  assert.deepEqual(tenant.settings.allowedOrigins, ['https://www.acme.example']);
  assert.equal(tenant.settings.anonymousWidget, true);

  const list = await run('tenant', 'list');
  assert.match(list.stdout, /miptech-company/);
  assert.match(list.stdout, /acme/);

  const updated = await run('tenant', 'update', 'acme', '--add-origin', 'http://localhost:5173', '--messages-per-minute', '5', '--llm-model', 'small');
  assert.equal(updated.code, 0, updated.stderr);
  const after = JSON.parse((await run('tenant', 'show', 'acme')).stdout);
  assert.deepEqual(after.settings.allowedOrigins, ['https://www.acme.example', 'http://localhost:5173']);
  assert.equal(after.settings.rateLimits.messagesPerMinute, 5);
  assert.equal(after.settings.rateLimits.requestsPerMinute, 120, 'other limits kept');
  assert.equal(after.settings.llm.model, 'small');
  assert.equal(after.secret_key, undefined, 'the secret key is never shown again');

  assert.equal((await run('tenant', 'show', 'missing')).code, 1);
  assert.equal((await run('tenant', 'update', 'acme')).code, 2);
  assert.equal((await run('tenant', 'create', 'acme')).code, 1, 'duplicate id');
  assert.equal((await run('tenant', 'frobnicate')).code, 2);
});

test('help lists the commands; an unknown command exits 2', async (t) => {
  const { run } = await cli(t);
  const help = await run('help');
  for (const name of ['serve', 'migrate', 'token', 'tenant', 'kb']) assert.match(help.stdout, new RegExp(`\\b${name}\\b`));
  assert.equal((await run('nonsense')).code, 2);
  assert.equal((await run('migrate')).code, 0);
});

test('migrate applies the migrations of the configured database, says which, and runs again with nothing to do', async (t) => {
  const { run } = await cli(t, { fresh: true });
  const first = await run('migrate');
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stderr, new RegExp(`^Database migrated \\(${testStore()}\\b`));
  const again = await run('migrate');
  assert.equal(again.code, 0, again.stderr);
});

test('on a fresh SQLite data directory only migrate creates the database; the other commands refuse and say where they looked', async (t) => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'miptech-cli-fresh-')), 'data');
  t.after(() => rmSync(dirname(dataDir), { recursive: true, force: true }));
  const env = { MIPTECH_DATA_DIR: dataDir, LOG_LEVEL: 'silent' };
  const run = async (...argv: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(argv, { env, stdout: (text) => (stdout += text), stderr: (text) => (stderr += text) });
    return { code, stdout, stderr };
  };
  for (const argv of [['token'], ['tenant', 'create', 'acme'], ['tenant', 'show', 'miptech-company'], ['kb', 'reindex', '--tenant', 'miptech-company']]) {
    const refused = await run(...argv);
    assert.equal(refused.code, 1, argv.join(' '));
    assert.ok(refused.stderr.includes(`no database at ${join(dataDir, 'miptech.db')}`), refused.stderr);
    assert.match(refused.stderr, /MIPTECH_DATA_DIR/);
  }
  assert.equal(existsSync(dataDir), false, 'nothing was created');

  assert.equal((await run('migrate')).code, 0);
  assert.ok(existsSync(join(dataDir, 'miptech.db')));
  const shown = await run('tenant', 'show', 'miptech-company');
  assert.equal(shown.code, 0, shown.stderr);
  const noSecret = await run('token');
  assert.equal(noSecret.code, 1);
  assert.match(noSecret.stderr, /JWT_SECRET is unset and .*jwt-secret does not exist: `miptech serve` creates it/);
  assert.equal(existsSync(join(dataDir, 'jwt-secret')), false, 'only serve creates the secret');
});
