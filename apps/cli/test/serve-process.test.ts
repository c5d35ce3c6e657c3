/**
 * `miptech serve` as a real process (the bin, main and signal handling; on the sources, see
 * support/cli-process.ts): it starts on the embedded default, and SIGTERM closes every socket with
 * 1001, lets the answer in flight finish and be stored, and exits 0. Its output is the JSON log
 * only, with the next steps as one record, and the first start creates the JWT secret (0600).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@miptech/server';
import { connectAndJoin } from '@miptech/testing/ws-test-client.ts';
import { freePort } from '@miptech/testing/cluster/free-port.ts';
import { spawnCli } from './support/cli-process.ts';

async function waitUntilReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`server not ready within ${timeoutMs} ms`);
}

test('serve starts on the embedded default; SIGTERM → 1001, the answer in flight is stored, exit 0', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'miptech-serve-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawnCli(['serve', '--port', String(port), '--host', '127.0.0.1'], {
    env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', EXTRACTIVE_CHUNK_DELAY_MS: '40', SHUTDOWN_GRACE_MS: '20000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  await waitUntilReady(url, 60_000);
  const health = await (await fetch(`${url}/healthz`)).json();
  assert.equal(health.status, 'healthy');

  // The default tenant runs the anonymous widget policy for its own origin.
  const { ws, joined } = await connectAndJoin(`ws://127.0.0.1:${port}/api/v1/ws/chat?tenant_id=miptech-company`, { create: true }, { origin: 'http://localhost:3000' });
  const chatId = joined.chat_id!;
  ws.send({ type: 'user_message', data: { text: 'How do I embed the widget?', client_message_id: 'q1' } });
  await ws.waitFor('response_chunk', 20_000);

  child.kill('SIGTERM');
  const closed = await ws.waitForClose(10_000);
  assert.equal(closed.code, 1001);
  assert.equal(await exited, 0, stderr);

  const { store } = await openStore({ databaseUrl: `sqlite:${join(dataDir, 'miptech.db')}` });
  try {
    const { items } = await store.messages.list('miptech-company', chatId, { limit: 10 });
    const assistant = items.find((message) => message.role === 'assistant');
    assert.ok(assistant, 'the answer was stored');
    assert.equal(assistant.status, 'complete');
    assert.ok(assistant.content.length > 0);
  } finally {
    await store.close();
  }
});

test('serve prints only JSON log records; once ready, one "next steps" record names the demo URL and the default tenant\'s key', async (t) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'miptech-serve-steps-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const child = spawnCli(['serve'], {
    env: { ...process.env, MIPTECH_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const steps = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no "next steps" record within 60 s\n${stdout}\n${stderr}`)), 60_000);
    child.stdout!.on('data', (chunk) => {
      stdout += chunk;
      const record = stdout
        .split('\n')
        .filter((line) => line.includes('"next steps"'))
        .map((line) => JSON.parse(line) as Record<string, unknown>)[0];
      if (record) {
        clearTimeout(timer);
        resolve(record);
      }
    });
  });
  assert.equal(steps.msg, 'next steps');
  assert.equal(steps.level, 30);
  assert.equal(steps.demoUrl, `http://127.0.0.1:${port}/`);
  assert.equal(steps.reactDemoUrl, `http://127.0.0.1:${port}/demo/react`);
  assert.equal(steps.tenantId, 'miptech-company');
  assert.match(String(steps.publishableKey), /^pk_/);
  assert.equal(steps.cli, 'npx miptech --help');
  assert.equal(steps.dataDir, dataDir);
  const demo = await fetch(String(steps.demoUrl));
  assert.equal(demo.status, 200);
  assert.ok((await demo.text()).includes(String(steps.publishableKey)), 'the demo page embeds the key the record names');

  // The first start created the signing secret, readable by the owner only.
  const secretFile = join(dataDir, 'jwt-secret');
  assert.equal(statSync(secretFile).mode & 0o777, 0o600);
  assert.ok(readFileSync(secretFile, 'utf8').trim().length >= 32);

  child.kill('SIGTERM');
  assert.equal(await exited, 0, stderr);
  const lines = stdout.split('\n').filter((line) => line.trim() !== '');
  assert.ok(lines.length >= 3, stdout);
  for (const line of lines) assert.doesNotThrow(() => JSON.parse(line), `not a JSON record: ${line}`);
  assert.equal(stderr, '', 'nothing but the JSON log: stderr is not a terminal here');
});

test('serve with an invalid configuration exits 1 with one fatal JSON record listing every problem', async () => {
  const child = spawnCli(['serve'], {
    env: { ...process.env, PORT: 'eighty', LOG_LEVEL: 'loud', MIPTECH_DATA_DIR: join(tmpdir(), 'miptech-never-created') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('close', (exitCode) => resolve(exitCode)));
  assert.equal(code, 1, stdout + stderr);
  const lines = stdout.split('\n').filter((line) => line.trim() !== '');
  assert.equal(lines.length, 1, stdout);
  const record = JSON.parse(lines[0]!) as { level: number; msg: string; problems: string[] };
  assert.equal(record.level, 60);
  assert.match(record.msg, /invalid configuration/);
  assert.equal(record.problems.length, 2);
  assert.match(record.problems.join('\n'), /PORT/);
  assert.match(record.problems.join('\n'), /LOG_LEVEL/);
  assert.equal(stderr, '');
});
