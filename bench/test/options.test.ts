import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOptions } from '../src/options.ts';

const NO_ENV = {};

test('the default and quick runs measure the platform and the baseline only', () => {
  assert.deepEqual(parseOptions([], NO_ENV).targets, ['platform', 'baseline']);
  assert.deepEqual(parseOptions(['--quick'], NO_ENV).targets, ['platform', 'baseline']);
});

test('--cluster adds the cluster target to every round, with 3 nodes by default', () => {
  const options = parseOptions(['--cluster'], NO_ENV);
  assert.deepEqual(options.targets, ['platform', 'baseline', 'cluster']);
  assert.equal(options.cluster.nodes, 3);
  assert.equal(options.cluster.postgresUrl, 'postgres://postgres@127.0.0.1:5432/test');
  assert.equal(options.cluster.redisUrl, null);
  const quick = parseOptions(['--quick', '--cluster', '--cluster-nodes', '2'], NO_ENV);
  assert.deepEqual(quick.targets, ['platform', 'baseline', 'cluster']);
  assert.equal(quick.cluster.nodes, 2);
  assert.deepEqual(quick.steps, [20, 100]);
});

test('--targets accepts cluster, and --cluster does not add it twice', () => {
  assert.deepEqual(parseOptions(['--targets', 'baseline,cluster', '--cluster'], NO_ENV).targets, ['baseline', 'cluster']);
  assert.throws(() => parseOptions(['--targets', 'baseline,swarm'], NO_ENV), /unknown target swarm/);
});

test('the PostgreSQL server comes from --postgres-url, then TEST_DATABASE_URL, then DATABASE_URL', () => {
  const env = { TEST_DATABASE_URL: 'postgres://postgres@127.0.0.1:5433/a', DATABASE_URL: 'postgres://postgres@127.0.0.1:5434/b' };
  assert.equal(parseOptions(['--cluster'], env).cluster.postgresUrl, env.TEST_DATABASE_URL);
  assert.equal(parseOptions(['--cluster'], { DATABASE_URL: env.DATABASE_URL }).cluster.postgresUrl, env.DATABASE_URL);
  assert.equal(parseOptions(['--cluster', '--postgres-url', 'postgresql://localhost/x'], env).cluster.postgresUrl, 'postgresql://localhost/x');
  assert.equal(parseOptions(['--cluster', '--redis-url', 'redis://127.0.0.1:6379'], env).cluster.redisUrl, 'redis://127.0.0.1:6379');
});

test('the cluster target refuses servers beyond this machine and URLs of the wrong kind', () => {
  assert.throws(() => parseOptions(['--cluster', '--postgres-url', 'postgres://db.example.com/test'], NO_ENV), /127\.0\.0\.1/);
  assert.throws(() => parseOptions(['--cluster', '--redis-url', 'redis://10.0.0.5:6379'], NO_ENV), /127\.0\.0\.1/);
  assert.throws(() => parseOptions(['--cluster', '--redis-url', 'http://127.0.0.1:6379'], NO_ENV), /redis:/);
  assert.throws(() => parseOptions(['--cluster', '--postgres-url', 'not a url'], NO_ENV), /needs a URL/);
  // Without the cluster target a remote DATABASE_URL in the environment is irrelevant.
  assert.deepEqual(parseOptions([], { DATABASE_URL: 'postgres://db.example.com/x' }).targets, ['platform', 'baseline']);
});

test('--profile keeps profiling the single platform, without the cluster', () => {
  assert.deepEqual(parseOptions(['--profile', '--cluster'], NO_ENV).targets, ['platform']);
});
