import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/base/config.ts';

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

test('an unset JWT_SECRET is generated once into DATA_DIR (mode 0600) and reused', (t) => {
  const dir = tempDir(t);
  const first = loadConfig({ DATA_DIR: dir });
  assert.equal(first.jwtSecretSource, 'file');
  assert.ok(first.jwtSecret.length >= 32);
  const file = join(dir, 'jwt-secret');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(readFileSync(file, 'utf8').trim(), first.jwtSecret);
  assert.equal(loadConfig({ DATA_DIR: dir }).jwtSecret, first.jwtSecret);
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
