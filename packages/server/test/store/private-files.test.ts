/**
 * The platform's local state is private to its user: a SQLite database it creates is 0600 (its
 * -wal and -shm files too) in a data directory it creates 0700; a JWT secret file other users can
 * read is warned about once at start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger } from '../../src/base/logger.ts';
import { openStore } from '../../src/store/open-store.ts';
import { ensureJwtSecret } from '../../src/base/jwt-secret-file.ts';
import { loadConfig } from '../../src/base/config.ts';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';

const modeOf = (path: string) => `0${(statSync(path).mode & 0o777).toString(8)}`;

test('a new SQLite database is 0600 with its -wal and -shm, in directories created 0700', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'miptech-modes-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dataDir = join(root, 'outer', 'data');
  const file = join(dataDir, 'miptech.db');
  const { store } = await openStore({ databaseUrl: `sqlite:${file}` });
  try {
    await store.tenants.create({ id: 'modes', name: 'modes', settings: {} });
    assert.equal(modeOf(file), '0600');
    for (const side of ['-wal', '-shm']) {
      assert.ok(existsSync(file + side), `${side} exists while open`);
      assert.equal(modeOf(file + side), '0600', side);
    }
    assert.equal(modeOf(dataDir), '0700');
    assert.equal(modeOf(join(root, 'outer')), '0700');
  } finally {
    await store.close();
  }
});

test('the generated JWT secret is 0600 in a data directory created 0700', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'miptech-modes-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dataDir = join(root, 'fresh');
  const config = ensureJwtSecret(loadConfig({ DATA_DIR: dataDir, HOME: root }));
  assert.equal(modeOf(config.jwtSecretFile!), '0600');
  assert.equal(modeOf(dataDir), '0700');
});

test('a JWT secret file other users can read is warned about once at start', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'miptech-modes-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  writeFileSync(join(dataDir, 'jwt-secret'), `${'s'.repeat(48)}\n`);
  chmodSync(join(dataDir, 'jwt-secret'), 0o644);
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const tp = await startTestPlatform({
    dataDir,
    database: { databaseUrl: `sqlite:${join(dataDir, 'miptech.db')}`, schema: undefined },
    env: { JWT_SECRET: '', LOG_LEVEL: 'warn' },
    overrides: { logger: createLogger('warn', sink) },
  });
  await tp.close({ keepData: true });
  const warnings = chunks
    .join('')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { level: number; msg: string; file?: string; mode?: string })
    .filter((line) => line.msg.includes('JWT secret file'));
  assert.equal(warnings.length, 1);
  assert.equal(warnings[0]!.level, 40);
  assert.equal(warnings[0]!.file, join(dataDir, 'jwt-secret'));
  assert.equal(warnings[0]!.mode, '0644');
});
