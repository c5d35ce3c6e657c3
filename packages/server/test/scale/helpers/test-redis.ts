/**
 * Redis for the scale tests: the shared server from TEST_REDIS_URL with a unique key prefix per
 * test, or a private `redis-server` process (for tests that stop and restart Redis).
 *
 * Which Redis (the rule of test/store/test-databases.ts for PostgreSQL): TEST_REDIS_URL set (CI
 * sets it) → that server, and failing to reach it fails the tests; set to an empty string →
 * skipped; unset → the default redis://127.0.0.1:6379 is probed once per test process (short
 * timeout) and used when it answers PING, otherwise the Redis tests are skipped with a message
 * naming TEST_REDIS_URL.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';

export { PrivateRedis } from '@miptech/testing/cluster/private-redis.ts';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
const PROBE_TIMEOUT_MS = 1500;

/** Whether a Redis server answers PING at `url` (a plain RESP exchange: no client, no retries). */
async function answersPing(url: string): Promise<string | null> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port || 6379), hostname);
    let reply = '';
    const done = (failure: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(failure);
    };
    const timer = setTimeout(() => done(`no answer within ${PROBE_TIMEOUT_MS} ms`), PROBE_TIMEOUT_MS);
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (data) => {
      reply += data.toString('latin1');
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG') ? null : `unexpected reply ${JSON.stringify(reply.trim())}`);
    });
    socket.on('error', (error) => done(error.message));
  });
}

async function findTestRedis(): Promise<{ url: string | null; skip: string }> {
  const configured = process.env.TEST_REDIS_URL;
  if (configured === '') return { url: null, skip: 'Redis tests skipped: TEST_REDIS_URL is set to an empty string' };
  if (configured !== undefined) return { url: configured, skip: '' };
  const failure = await answersPing(DEFAULT_REDIS_URL);
  if (failure === null) return { url: DEFAULT_REDIS_URL, skip: '' };
  return { url: null, skip: `Redis tests skipped: TEST_REDIS_URL is unset and ${DEFAULT_REDIS_URL} does not answer (${failure}); set TEST_REDIS_URL to run them` };
}

/** Decided once per test process, before any test is declared. */
const decision = await findTestRedis();

/** The shared Redis URL, or null when the Redis tests are skipped (REDIS_SKIP_REASON says why). */
export function testRedisUrl(): string | null {
  return decision.url;
}

export const REDIS_SKIP_REASON = decision.skip;

function hasRedisServerBinary(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v redis-server'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * The skip option of the tests that run a PrivateRedis (they stop and start Redis): Redis tests
 * skipped as above, or no `redis-server` binary installed (as the multi-node proof without nginx).
 */
export const PRIVATE_REDIS_SKIP: string | false =
  decision.url === null ? decision.skip : hasRedisServerBinary() ? false : 'redis-server is not installed: tests that stop and start Redis skipped (apt-get install redis-server)';

export function uniquePrefix(label: string): string {
  return `test:${label}:${randomUUID().slice(0, 8)}:`;
}

/** Deletes every key under `prefix` (SCAN, never KEYS or FLUSHALL: the server is shared). */
export { deleteRedisKeys as deleteKeys } from '@miptech/testing/cluster/delete-redis-keys.ts';
