import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, DEFAULT_DOCS_DIR, loadConfig } from '../../src/base/config.ts';
import { resolveDataDir } from '../../src/base/data-directory.ts';
import { ensureJwtSecret, requireJwtSecret } from '../../src/base/jwt-secret-file.ts';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'miptech-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('defaults of the embedded setup', (t) => {
  const dir = tempDir(t);
  const config = loadConfig({ DATA_DIR: dir });
  assert.equal(config.port, 8000);
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.publicUrl, 'http://localhost:8000');
  assert.equal(config.databaseUrl, `sqlite:${join(dir, 'miptech.db')}`);
  assert.equal(config.widgetJwtRequired, true);
  assert.equal(config.wsJwtRequired, true);
  assert.equal(config.wsJoinTimeoutMs, 10_000);
  assert.equal(config.wsHeartbeatIntervalMs, 25_000);
  assert.equal(config.defaultTenantId, 'miptech-company');
  assert.equal(config.llmProvider, 'extractive');
  assert.equal(config.redisUrl, null);
  // A node that dies mid-answer is noticed within a few seconds (issue 6): lease + one sweep.
  assert.equal(config.answerLeaseMs, 5_000);
  assert.equal(config.leaseSweepIntervalMs, 1_000);
  assert.ok(Object.isFrozen(config));
});

test('every problem is reported together', () => {
  assert.throws(
    () =>
      loadConfig({
        PORT: 'eighty',
        WS_JOIN_TIMEOUT_MS: '-5',
        WIDGET_JWT_REQUIRED: 'maybe',
        LOG_LEVEL: 'loud',
        JWT_SECRET: 'short',
        REDIS_URL: 'http://not-redis',
        LLM_PROVIDER: 'openai-compatible',
      }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      const text = error.problems.join('\n');
      for (const name of ['PORT', 'WS_JOIN_TIMEOUT_MS', 'WIDGET_JWT_REQUIRED', 'LOG_LEVEL', 'JWT_SECRET', 'REDIS_URL', 'LLM_BASE_URL']) {
        assert.ok(text.includes(name), `${name} reported`);
      }
      assert.ok(error.problems.length >= 7);
      return true;
    },
  );
});

test('an unset JWT_SECRET on the embedded default: loadConfig writes nothing; ensureJwtSecret (serve) creates it once, mode 0600, and it is reused', (t) => {
  const dir = join(tempDir(t), 'not-yet');
  const before = loadConfig({ DATA_DIR: dir });
  assert.equal(before.jwtSecretSource, 'file');
  assert.equal(before.jwtSecretFile, join(dir, 'jwt-secret'));
  assert.equal(before.jwtSecret, null);
  assert.equal(existsSync(dir), false, 'loadConfig created nothing');
  assert.throws(() => requireJwtSecret(before), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.match(error.message, /miptech serve/);
    assert.match(error.message, /MIPTECH_DATA_DIR/);
    return true;
  });

  const first = ensureJwtSecret(before);
  assert.ok(first.jwtSecret.length >= 32);
  assert.ok(Object.isFrozen(first));
  const file = join(dir, 'jwt-secret');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(readFileSync(file, 'utf8').trim(), first.jwtSecret);
  assert.equal(loadConfig({ DATA_DIR: dir }).jwtSecret, first.jwtSecret);
  assert.equal(ensureJwtSecret(loadConfig({ DATA_DIR: dir })).jwtSecret, first.jwtSecret, 'an existing file is kept');
  assert.equal(requireJwtSecret(loadConfig({ DATA_DIR: dir })), first.jwtSecret);
});

test('a secret file too short to sign with is a configuration problem, not silently replaced', (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'jwt-secret'), 'short\n');
  assert.throws(() => loadConfig({ DATA_DIR: dir }), /jwt-secret holds a JWT secret shorter than 32 characters/);
  assert.equal(readFileSync(join(dir, 'jwt-secret'), 'utf8'), 'short\n');
});

test('the data directory: MIPTECH_DATA_DIR, else DATA_DIR, else $XDG_DATA_HOME/miptech, else ~/.local/share/miptech', (t) => {
  const dir = tempDir(t);
  const home = join(dir, 'home');
  assert.equal(loadConfig({ MIPTECH_DATA_DIR: join(dir, 'a'), DATA_DIR: join(dir, 'b'), HOME: home }).dataDir, join(dir, 'a'));
  assert.equal(loadConfig({ DATA_DIR: join(dir, 'b'), HOME: home }).dataDir, join(dir, 'b'));
  assert.equal(loadConfig({ XDG_DATA_HOME: join(dir, 'xdg'), HOME: home }).dataDir, join(dir, 'xdg', 'miptech'));
  assert.equal(loadConfig({ XDG_DATA_HOME: 'relative/xdg', HOME: home }).dataDir, join(home, '.local', 'share', 'miptech'), 'a relative XDG_DATA_HOME is ignored');
  const config = loadConfig({ HOME: home });
  assert.equal(config.dataDir, join(home, '.local', 'share', 'miptech'));
  assert.equal(config.databaseUrl, `sqlite:${join(home, '.local', 'share', 'miptech', 'miptech.db')}`);
  assert.equal(existsSync(home), false, 'nothing is created');
  assert.equal(resolveDataDir({ MIPTECH_DATA_DIR: 'rel' }), resolve('rel'), 'an explicit relative path is taken from the working directory');
});

test('the default knowledge is the documentation shipped in the server package, resolved from the module', () => {
  const config = loadConfig({ JWT_SECRET: 's'.repeat(40), DATABASE_URL: 'sqlite::memory:' });
  assert.equal(config.docsDir, DEFAULT_DOCS_DIR);
  assert.equal(DEFAULT_DOCS_DIR, resolve(import.meta.dirname, '../../default-knowledge/docs'));
  assert.match(config.version, /^\d+\.\d+\.\d+/);
  assert.notEqual(config.version, '0.0.0', 'the version is read from packages/server/package.json');
});

test('JWT_SECRET is required with PostgreSQL', () => {
  assert.throws(() => loadConfig({ DATABASE_URL: 'postgres://localhost/x' }), /JWT_SECRET is required/);
  const config = loadConfig({ DATABASE_URL: 'postgres://localhost/x', JWT_SECRET: 's'.repeat(40) });
  assert.equal(config.jwtSecretSource, 'env');
});

test('PUBLIC_URL follows PORT unless set', (t) => {
  const dir = tempDir(t);
  assert.equal(loadConfig({ DATA_DIR: dir, PORT: '9000' }).publicUrl, 'http://localhost:9000');
  assert.equal(loadConfig({ DATA_DIR: dir, PUBLIC_URL: 'https://chat.example.com/' }).publicUrl, 'https://chat.example.com');
});
