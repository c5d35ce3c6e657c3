/**
 * A node with REDIS_URL shares its Redis connections between every part of its backend (event log,
 * rate limiter, stop relay, delivered answer ends): one for commands and one subscriber, counted in
 * Redis's own CLIENT LIST while the node serves an answer, and none left once it closed.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin } from '@miptech/testing/ws-test-client.ts';
import { deleteKeys, REDIS_SKIP_REASON, testRedisUrl, uniquePrefix } from './helpers/test-redis.ts';

const redisUrl = testRedisUrl();

describe('Redis connections of a node', { skip: redisUrl === null ? REDIS_SKIP_REASON : false }, () => {
  test('two per node, shared by every part, all closed with the node', async (t) => {
    const prefix = uniquePrefix('connections');
    const admin = new Redis(redisUrl ?? '');
    t.after(async () => {
      await deleteKeys(redisUrl ?? '', prefix);
      await admin.quit();
    });
    const tp = await startTestPlatform({ env: { REDIS_URL: redisUrl ?? '', REDIS_KEY_PREFIX: prefix } });
    const names = async (): Promise<string[]> => {
      const list = String(await admin.client('LIST'));
      return list
        .split('\n')
        .map((line) => /\bname=(\S+)/.exec(line)?.[1] ?? '')
        .filter((name) => name.startsWith(`miptech:${tp.config.nodeId}:`))
        .sort();
    };
    try {
      // Every part at work: a chat created (rate limit), an answer (event log, answer end), a stop.
      const token = await tp.mintToken();
      const { ws } = await connectAndJoin(tp.wsUrl(), { token, create: true });
      ws.send({ type: 'user_message', data: { text: 'Hello', client_message_id: 'c-1' } });
      assert.equal((await ws.collectAnswer()).complete.data.status, 'complete');
      ws.send({ type: 'stop_generation', data: {} });
      await ws.roundTrip();
      assert.deepEqual(await names(), [`miptech:${tp.config.nodeId}:commands`, `miptech:${tp.config.nodeId}:subscriber`]);
      await ws.close();
    } finally {
      await tp.close();
    }
    assert.deepEqual(await names(), [], 'closed with the node');
  });
});
