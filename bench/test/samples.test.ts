import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Samples, median, percentileOfSorted } from '../src/stats/samples.ts';

test('nearest-rank percentiles of 1..100 are the rank itself', () => {
  const samples = new Samples(4); // small capacity: recording must grow the buffer
  for (let v = 100; v >= 1; v--) samples.record(v);
  assert.equal(samples.count, 100);
  assert.equal(samples.percentile(50), 50);
  assert.equal(samples.percentile(99), 99);
  assert.equal(samples.percentile(100), 100);
  assert.equal(samples.percentile(0), 1);
  const summary = samples.summary();
  assert.deepEqual(
    { min: summary.min, p50: summary.p50, p90: summary.p90, p99: summary.p99, max: summary.max, mean: summary.mean },
    { min: 1, p50: 50, p90: 90, p99: 99, max: 100, mean: 50.5 },
  );
});

test('percentiles sort numerically, not as strings', () => {
  const samples = Samples.from([10, 9, 100, 2]);
  assert.equal(samples.percentile(50), 9);
  assert.equal(samples.percentile(75), 10);
  assert.equal(samples.summary().max, 100);
});

test('a single outlier shows at p99 only when it is more than 1 % of the samples', () => {
  const fewOutliers = new Samples();
  for (let i = 0; i < 999; i++) fewOutliers.record(1);
  fewOutliers.record(500);
  assert.equal(fewOutliers.percentile(99), 1);
  assert.equal(fewOutliers.summary().max, 500);
  const manyOutliers = new Samples();
  for (let i = 0; i < 980; i++) manyOutliers.record(1);
  for (let i = 0; i < 20; i++) manyOutliers.record(500);
  assert.equal(manyOutliers.percentile(99), 500);
});

test('empty samples summarise as NaN, never as zero', () => {
  const summary = new Samples().summary();
  assert.equal(summary.count, 0);
  assert.ok(Number.isNaN(summary.p50));
  assert.ok(Number.isNaN(percentileOfSorted([], 99)));
});

test('bad input is rejected', () => {
  const samples = new Samples();
  assert.throws(() => samples.record(Number.NaN), RangeError);
  assert.throws(() => samples.record(Number.POSITIVE_INFINITY), RangeError);
  assert.throws(() => samples.percentile(101), RangeError);
  assert.throws(() => samples.percentile(-1), RangeError);
});

test('merge keeps every sample of both recorders', () => {
  const a = Samples.from([1, 2, 3]);
  a.merge(Samples.from([4, 5]));
  assert.deepEqual([...a.toArray()], [1, 2, 3, 4, 5]);
});

test('median ignores NaN and averages the middle pair', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([Number.NaN, 7]), 7);
  assert.ok(Number.isNaN(median([])));
});
