/**
 * `miptech serve` as a real process (the bin, tsx loader, main and signal handling): it starts on
 * the embedded default, and SIGTERM closes every socket with 1001, lets the answer in flight finish
 * and be stored, and exits 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '@miptech/server';
import { connectAndJoin } from '@miptech/testing/ws-test-client.ts';
import { freePort } from '@miptech/testing/cluster/free-port.ts';

const BIN = fileURLToPath(new URL('../bin/miptech.mjs', import.meta.url));

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
  const child = spawn(process.execPath, [BIN, 'serve', '--port', String(port), '--host', '127.0.0.1'], {
    env: { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'warn', EXTRACTIVE_CHUNK_DELAY_MS: '40', SHUTDOWN_GRACE_MS: '20000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
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
