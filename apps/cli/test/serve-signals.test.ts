/**
 * Signals as supervisors send them (issue #15, item 6). systemd, `docker stop` of a shell
 * entrypoint and most supervisors signal the whole process group, and every wrapper in it (npm,
 * a shell) forwards what it got: node receives the same SIGTERM two or more times. The first
 * starts the drain; the copies must not cut it short, so the answer in flight is stored complete.
 * Ctrl-C pressed twice (two SIGINTs apart) still exits at once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@miptech/server';
import { connectAndJoin } from '@miptech/testing/ws-test-client.ts';
import { freePort } from '@miptech/testing/cluster/free-port.ts';
import { waitFor } from '@miptech/testing/wait-for.ts';
import { spawn, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { spawnCli } from './support/cli-process.ts';

const REPOSITORY = fileURLToPath(new URL('../../../', import.meta.url));
const TSX_LOADER = import.meta.resolve('tsx');

async function startServe(t: import('node:test').TestContext, env: Record<string, string>, via: 'node' | 'npm start' = 'node') {
  const dataDir = mkdtempSync(join(tmpdir(), 'miptech-signals-'));
  t.after(() => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  // Its own process group, as under a supervisor: process.kill(-pid) reaches every process in it.
  const options: SpawnOptions & { env: NodeJS.ProcessEnv } = {
    env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '20000', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  };
  const args = ['--port', String(port), '--host', '127.0.0.1'];
  const child =
    via === 'node'
      ? spawnCli(['serve', ...args], options)
      : // The root package's start script, as a person or a careless supervisor runs it. Its
        // prestart build is skipped (--ignore-scripts skips pre/post scripts only) and node runs
        // the sources (the conditions and tsx through NODE_OPTIONS), so no stale dist/ is tested.
        spawn('npm', ['start', '--ignore-scripts', '--', ...args], {
          ...options,
          cwd: REPOSITORY,
          env: { ...options.env, NODE_OPTIONS: `--conditions=@miptech/source --import ${TSX_LOADER}` },
        });
  let stdout = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stdout += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
  });
  await waitFor('readiness', async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok === true, 60_000, 100);
  return { dataDir, port, child, exited, output: () => stdout };
}

async function answerInFlight(port: number) {
  const { ws, joined } = await connectAndJoin(`ws://127.0.0.1:${port}/api/v1/ws/chat?tenant_id=miptech-company`, { create: true }, { origin: 'http://localhost:3000' });
  ws.send({ type: 'user_message', data: { text: 'How do I embed the widget?', client_message_id: 'q1' } });
  await ws.waitFor('response_chunk', 20_000);
  return { ws, chatId: joined.chat_id! };
}

async function storedAnswer(dataDir: string, chatId: string) {
  const { store } = await openStore({ databaseUrl: `sqlite:${join(dataDir, 'miptech.db')}` });
  try {
    const { items } = await store.messages.list('miptech-company', chatId, { limit: 10 });
    return items.find((message) => message.role === 'assistant');
  } finally {
    await store.close();
  }
}

test('SIGTERM to the process group, twice: the node drains once, the answer in flight is stored complete, exit 0', async (t) => {
  const serve = await startServe(t, { EXTRACTIVE_CHUNK_DELAY_MS: '40' });
  const { ws, chatId } = await answerInFlight(serve.port);

  process.kill(-serve.child.pid!, 'SIGTERM');
  process.kill(-serve.child.pid!, 'SIGTERM');
  await new Promise((resolve) => setTimeout(resolve, 200));
  process.kill(-serve.child.pid!, 'SIGTERM');
  assert.equal((await ws.waitForClose(10_000)).code, 1001);
  assert.equal(await serve.exited, 0, serve.output());

  const assistant = await storedAnswer(serve.dataDir, chatId);
  assert.ok(assistant, 'the answer was stored');
  assert.equal(assistant.status, 'complete');
  assert.ok(assistant.content.length > 0);
  assert.match(serve.output(), /already shutting down: signal ignored/);
  assert.doesNotMatch(serve.output(), /exiting now/);
});

test('Ctrl-C twice (two SIGINTs apart) still exits at once, before the answer completes', async (t) => {
  const serve = await startServe(t, { EXTRACTIVE_CHUNK_DELAY_MS: '400' });
  const { chatId } = await answerInFlight(serve.port);

  // One keypress under npm: the terminal's SIGINT and npm's forwarded copy, together.
  process.kill(-serve.child.pid!, 'SIGINT');
  process.kill(-serve.child.pid!, 'SIGINT');
  await new Promise((resolve) => setTimeout(resolve, 800));
  assert.equal(serve.child.exitCode, null, 'one Ctrl-C drains, it does not exit at once');
  process.kill(-serve.child.pid!, 'SIGINT');
  assert.equal(await serve.exited, 1, serve.output());
  assert.match(serve.output(), /second interrupt: exiting now/);

  const assistant = await storedAnswer(serve.dataDir, chatId);
  assert.notEqual(assistant?.status, 'complete', 'the answer was cut short');
});

// Whether node receives a second copy here depends on npm's version and how it was started (npm
// forwards the signals it gets to its child): either way the answer must be stored complete.
test('`npm start`: a SIGTERM to the whole process group (npm and node) drains; the answer is stored complete, exit 0', async (t) => {
  const serve = await startServe(t, { EXTRACTIVE_CHUNK_DELAY_MS: '40' }, 'npm start');
  const { ws, chatId } = await answerInFlight(serve.port);

  process.kill(-serve.child.pid!, 'SIGTERM');
  assert.equal((await ws.waitForClose(10_000)).code, 1001);
  assert.equal(await serve.exited, 0, serve.output());

  const assistant = await storedAnswer(serve.dataDir, chatId);
  assert.ok(assistant, 'the answer was stored');
  assert.equal(assistant.status, 'complete');
  assert.doesNotMatch(serve.output(), /exiting now/);
});
