/**
 * Redis for the scale tests: the shared server from TEST_REDIS_URL with a unique key prefix per
 * test, or a private `redis-server` process (for tests that stop and restart Redis).
 */
import { randomUUID } from 'node:crypto';

export { PrivateRedis } from '../../../../../scripts/cluster/private-redis.ts';

/** The shared Redis URL, or null when TEST_REDIS_URL is explicitly empty (tests skip). */
export function testRedisUrl(): string | null {
  const url = process.env.TEST_REDIS_URL;
  if (url === '') return null;
  return url ?? 'redis://127.0.0.1:6379';
}

export const REDIS_SKIP_REASON = 'TEST_REDIS_URL is empty: Redis tests skipped';

export function uniquePrefix(label: string): string {
  return `test:${label}:${randomUUID().slice(0, 8)}:`;
}

/** Deletes every key under `prefix` (SCAN, never KEYS or FLUSHALL: the server is shared). */
export { deleteRedisKeys as deleteKeys } from '../../../../../scripts/cluster/delete-redis-keys.ts';
