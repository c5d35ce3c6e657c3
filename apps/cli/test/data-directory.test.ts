/**
 * One data directory for the server and every CLI command, whatever the working directory: the
 * rule (MIPTECH_DATA_DIR, else $XDG_DATA_HOME/miptech, else ~/.local/share/miptech) depends only
 * on the environment, and a command that would have to create a new database stops and says so
 * instead of splitting the platform's state. Real processes started in different folders.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCliProcess } from './support/cli-process.ts';

/** The environment of a user with nothing configured: HOME is a fresh folder, no data variables. */
function userEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, LOG_LEVEL: 'silent' };
  for (const name of ['MIPTECH_DATA_DIR', 'DATA_DIR', 'XDG_DATA_HOME', 'DATABASE_URL', 'DATABASE_SCHEMA', 'JWT_SECRET']) delete env[name];
  return env;
}

test('every command uses the same data directory from any working directory; none silently creates a second database', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'miptech-data-dir-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const home = join(root, 'home');
  const first = join(root, 'project-a');
  const second = join(root, 'somewhere', 'else');
  for (const dir of [home, first, second]) mkdirSync(dir, { recursive: true });
  const env = userEnv(home);
  const dataDir = join(home, '.local', 'share', 'miptech');

  // Nothing there yet: the command says where it looked and how to point it elsewhere, and stops
  // (cli-commands.test.ts checks the other commands in-process).
  const refused = await runCliProcess(['tenant', 'list'], { cwd: first, env });
  assert.equal(refused.code, 1, refused.stderr);
  assert.ok(refused.stderr.includes(join(dataDir, 'miptech.db')), refused.stderr);
  assert.ok(refused.stderr.includes(`data directory ${dataDir}`), refused.stderr);
  assert.match(refused.stderr, /MIPTECH_DATA_DIR/);
  assert.match(refused.stderr, /miptech serve/);
  assert.equal(refused.stdout, '');
  assert.equal(existsSync(join(home, '.local')), false, 'no database, secret or directory was created');
  assert.deepEqual(readdirSync(first), [], 'nothing in the working directory either');

  // migrate may create the database (in the data directory, not in the working directory).
  const migrated = await runCliProcess(['migrate'], { cwd: first, env });
  assert.equal(migrated.code, 0, migrated.stderr);
  assert.ok(existsSync(join(dataDir, 'miptech.db')));
  assert.deepEqual(readdirSync(first), []);

  // From another folder the same database: a tenant created there is listed from the first one.
  const created = await runCliProcess(['tenant', 'create', 'acme'], { cwd: second, env });
  assert.equal(created.code, 0, created.stderr);
  const listed = await runCliProcess(['tenant', 'list'], { cwd: first, env });
  assert.equal(listed.code, 0, listed.stderr);
  assert.match(listed.stdout, /^acme\b/m);
  assert.match(listed.stdout, /^miptech-company\b/m);
  assert.deepEqual(readdirSync(second), []);

  // There is no signing secret until serve's first start creates it; token says so.
  const token = await runCliProcess(['token'], { cwd: second, env });
  assert.equal(token.code, 1);
  assert.ok(token.stderr.includes(join(dataDir, 'jwt-secret')), token.stderr);
  assert.match(token.stderr, /miptech serve/);
  assert.equal(existsSync(join(dataDir, 'jwt-secret')), false);
});
