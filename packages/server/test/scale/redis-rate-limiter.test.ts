import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRedisRateLimiter, type RedisRateLimiter } from '../../src/backend/rate-limit/redis-rate-limiter.ts';
import { deleteKeys, PrivateRedis, PRIVATE_REDIS_SKIP, REDIS_SKIP_REASON, testRedisUrl, uniquePrefix } from './helpers/test-redis.ts';
import { waitFor } from '@miptech/testing/wait-for.ts';

const redisUrl = testRedisUrl();

describe('RedisRateLimiter', { skip: redisUrl === null ? REDIS_SKIP_REASON : false }, () => {
  const url = redisUrl ?? '';
  const prefix = uniquePrefix('rate-limit');
  const limiters: RedisRateLimiter[] = [];
  const node = (nodeId: string): RedisRateLimiter => {
    const limiter = createRedisRateLimiter({ redisUrl: url, keyPrefix: prefix, nodeId });
    limiters.push(limiter);
    return limiter;
  };

  after(async () => {
    await Promise.all(limiters.map((limiter) => limiter.close()));
    await deleteKeys(url, prefix);
  });

  test('one budget shared by every node, counted atomically', async () => {
    const a = node('a');
    const b = node('b');
    await Promise.all([a.waitUntilReady(), b.waitUntilReady()]);
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, index) => (index % 2 === 0 ? a : b).hit('visitor-1', 10, 60_000)),
    );
    assert.equal(results.filter((result) => result.allowed).length, 10, 'exactly the limit is allowed across nodes');
    const refused = results.filter((result) => !result.allowed);
    assert.equal(refused.length, 20);
    for (const result of refused) {
      assert.equal(result.remaining, 0);
      assert.ok(result.retryAfterMs > 0 && result.retryAfterMs <= 60_000, `retry after ${result.retryAfterMs} ms`);
    }
    assert.equal((await a.hit('visitor-2', 10, 60_000)).allowed, true, 'other keys have their own budget');
    assert.equal((await a.hit('visitor-1', 10, 1_000)).remaining, 9, 'another window is another counter');
  });

  test('the window resets', async () => {
    const a = node('c');
    await a.waitUntilReady();
    assert.equal((await a.hit('short', 1, 200)).allowed, true);
    const refused = await a.hit('short', 1, 200);
    assert.equal(refused.allowed, false);
    await new Promise((resolve) => setTimeout(resolve, refused.retryAfterMs + 20));
    assert.equal((await a.hit('short', 1, 200)).allowed, true);
  });

  test('counts on the node while Redis is away, shares again when it is back', { skip: PRIVATE_REDIS_SKIP }, async () => {
    const redis = await PrivateRedis.start();
    const a = createRedisRateLimiter({ redisUrl: redis.url, keyPrefix: 'p:', nodeId: 'a', commandTimeoutMs: 200 });
    const b = createRedisRateLimiter({ redisUrl: redis.url, keyPrefix: 'p:', nodeId: 'b', commandTimeoutMs: 200 });
    try {
      await Promise.all([a.waitUntilReady(), b.waitUntilReady()]);
      assert.equal((await a.hit('w', 100, 60_000)).remaining, 99);
      assert.equal((await b.hit('w', 100, 60_000)).remaining, 98, 'shared while Redis is up');
      await redis.stop();
      const during = [];
      for (let index = 0; index < 4; index += 1) during.push(await a.hit('v', 3, 60_000));
      assert.deepEqual(during.map((result) => result.allowed), [true, true, true, false], 'the local limit still applies');
      await waitFor('the outage noticed', () => !a.shared);
      await redis.start();
      await waitFor('both reconnected', () => a.shared && b.shared, 15_000);
      assert.equal((await b.hit('probe', 100, 60_000)).remaining, 99);
      assert.equal((await a.hit('probe', 100, 60_000)).remaining, 98, 'shared again');
    } finally {
      await Promise.all([a.close(), b.close()]);
      await redis.stop();
    }
  });
});
