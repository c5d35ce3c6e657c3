/**
 * An answer survives the death of its node (PostgreSQL + Redis, two nodes). Node A runs in its
 * own process and streams an answer; it is killed with SIGKILL mid-answer (no shutdown, nothing
 * stored, its lease simply stops being renewed). Node B's lease sweeper claims the answer and
 * continues it from the text the visitor already has: the visitor, reconnecting to B with its
 * `last_seq`, gets the rest with no gap and no repeat, the first new chunk marked `continued`,
 * and one response_complete; a client that followed the chat on B all along sees one answer; the
 * stored message is the whole text.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin, type ReceivedFrame } from '@miptech/testing/ws-test-client.ts';
import { testDatabaseTargets, type TestDatabase } from '@miptech/testing/test-databases.ts';
import { deleteKeys, REDIS_SKIP_REASON, testRedisUrl, uniquePrefix } from './helpers/test-redis.ts';
import { waitFor } from '@miptech/testing/wait-for.ts';

const redisUrl = testRedisUrl();
const postgres = testDatabaseTargets().find((target) => target.dialect === 'postgres')!;
const NODE_ENTRY = fileURLToPath(new URL('./helpers/extractive-node.ts', import.meta.url));
const QUESTION = 'What is the airspeed of an unladen swallow?';

/** The chunks of one answer in the order received, and its end. */
function answerFrames(frames: ReceivedFrame[], messageId: string) {
  const chunks = frames.filter((frame) => frame.type === 'response_chunk' && frame.message_id === messageId);
  const ends = frames.filter((frame) => frame.type === 'response_complete' && frame.message_id === messageId);
  return { chunks, ends, text: chunks.map((frame) => String(frame.data.content)).join('') };
}

describe('an answer survives the death of its node (PostgreSQL + Redis)', { skip: redisUrl === null ? REDIS_SKIP_REASON : postgres.skip }, () => {
  const prefix = uniquePrefix('survive');
  const jwtSecret = `survive-secret-${randomBytes(16).toString('hex')}`;
  let database: TestDatabase;
  let nodeB: TestPlatform;
  let nodeA: ChildProcess | undefined;
  let urlA = '';
  const dataDirA = mkdtempSync(join(tmpdir(), 'miptech-survive-'));

  before(async () => {
    database = await postgres.create();
    const env = { REDIS_URL: redisUrl ?? '', REDIS_KEY_PREFIX: prefix, JWT_SECRET: jwtSecret };
    // B first: it runs the migrations. It sweeps often, so the test does not wait long for it.
    nodeB = await startTestPlatform({
      database: { databaseUrl: database.databaseUrl, schema: database.schema },
      env: { ...env, LEASE_SWEEP_INTERVAL_MS: '100', EXTRACTIVE_CHUNK_DELAY_MS: '10' },
      overrides: { engine: null },
    });
    nodeA = spawn(process.execPath, ['--import', 'tsx', NODE_ENTRY], {
      env: {
        ...process.env,
        ...env,
        HOST: '127.0.0.1',
        PORT: '0',
        DATABASE_URL: database.databaseUrl,
        ...(database.schema ? { DATABASE_SCHEMA: database.schema } : {}),
        DATA_DIR: dataDirA,
        NODE_ID: 'node-a',
        LOG_LEVEL: 'warn',
        // Slow enough to be killed mid-answer; a short lease so its death is noticed soon.
        EXTRACTIVE_CHUNK_DELAY_MS: '60',
        ANSWER_LEASE_MS: '600',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: nodeA.stdout! });
    urlA = await new Promise<string>((resolve, reject) => {
      nodeA!.once('exit', (code) => reject(new Error(`node A exited (${code}) before listening`)));
      lines.on('line', (line) => {
        if (line.startsWith('{"url"')) resolve(JSON.parse(line).url as string);
      });
    });
  });
  after(async () => {
    if (nodeA && nodeA.exitCode === null && nodeA.signalCode === null) nodeA.kill('SIGKILL');
    await nodeB?.close();
    await deleteKeys(redisUrl ?? '', prefix);
    await database?.dispose();
    rmSync(dataDirA, { recursive: true, force: true });
  });

  test('node A is killed mid-answer: node B continues it, the visitor sees one answer with no gap and no repeat', async (t) => {
    const token = await nodeB.mintToken();
    const wsUrlA = `${urlA.replace('http', 'ws')}/api/v1/ws/chat?tenant_id=${nodeB.tenantId}`;
    const onA = await connectAndJoin(wsUrlA, { token, create: true });
    const chatId = String(onA.joined.data.chat_id);
    // A second client of the same visitor follows the chat on B all along.
    const onB = await connectAndJoin(nodeB.wsUrl(), { token, chatId, lastSeq: Number(onA.joined.data.last_seq ?? 0) });
    t.after(() => onB.ws.close());

    onA.ws.send({ type: 'user_message', data: { text: QUESTION, client_message_id: 'c-1' } });
    const start = await onA.ws.waitFor('response_start', 10_000);
    const messageId = String(start.message_id);
    await onA.ws.waitFor((frame) => frame.type === 'response_chunk' && frame.data.chunk_index === 4, 10_000);
    nodeA!.kill('SIGKILL');
    await onA.ws.waitForClose(5000);

    // What the visitor saw from A, and the last seq it got: it reconnects to B with it.
    const fromA = answerFrames(onA.ws.frames, messageId);
    assert.ok(fromA.chunks.length >= 5 && fromA.ends.length === 0, 'killed mid-answer');
    const lastSeq = Math.max(...onA.ws.frames.filter((frame) => typeof frame.seq === 'number').map((frame) => frame.seq!));
    const resumed = await connectAndJoin(nodeB.wsUrl(), { token, chatId, lastSeq });
    t.after(() => resumed.ws.close());
    const end = await resumed.ws.waitFor((frame) => frame.type === 'response_complete' && frame.message_id === messageId, 15_000);

    const rest = answerFrames(resumed.ws.frames, messageId);
    assert.ok(rest.chunks.length > 0, 'the answer went on');
    assert.deepEqual(
      [...fromA.chunks, ...rest.chunks].map((frame) => frame.data.chunk_index),
      [...fromA.chunks, ...rest.chunks].map((_, index) => index),
      'chunk indexes without gap or repeat across the two nodes',
    );
    assert.equal(rest.chunks[0]?.data.continued, true, 'the first chunk from B is marked continued');
    assert.equal(rest.chunks.filter((frame) => frame.data.continued).length, 1);
    assert.equal(resumed.ws.frames.filter((frame) => frame.type === 'error').length, 0, 'no generation_interrupted');
    assert.equal(rest.ends.length, 1, 'one response_complete');
    assert.equal(end.data.status, 'complete');
    assert.equal(end.data.content, fromA.text + rest.text, 'the end is everything the visitor saw, once');
    const seqs = resumed.ws.frames.filter((frame) => typeof frame.seq === 'number').map((frame) => frame.seq!);
    assert.ok(seqs.every((seq, index) => seq > lastSeq && (index === 0 || seq > seqs[index - 1]!)), 'only events after last_seq, in order');

    // The client on B all along: one answer, from A's chunks through B's, one end.
    await onB.ws.waitFor((frame) => frame.type === 'response_complete' && frame.message_id === messageId, 5000);
    const followed = answerFrames(onB.ws.frames, messageId);
    assert.equal(followed.ends.length, 1);
    assert.equal(followed.text, end.data.content);
    assert.equal(onB.ws.frames.filter((frame) => frame.type === 'response_start').length, 1, 'one response_start');

    const stored = await waitFor('the continued answer to be stored', async () => {
      const row = await nodeB.platform.services.store.messages.get(nodeB.tenantId, messageId);
      return row && row.status !== 'streaming' ? row : null;
    });
    assert.equal(stored.status, 'complete');
    assert.equal(stored.content, end.data.content, 'stored text = the whole text the visitor saw');
  });
});
