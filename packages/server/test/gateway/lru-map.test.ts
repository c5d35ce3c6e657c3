import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LruMap } from '../../src/base/lru-map.ts';

describe('LruMap', () => {
  it('drops the least recently used entry when full; a read counts as a use', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    assert.equal(map.get('a'), 1);
    map.set('c', 3);
    assert.equal(map.get('b'), undefined, 'b was the least recently used');
    assert.equal(map.get('a'), 1);
    assert.equal(map.get('c'), 3);
    assert.equal(map.size, 2);
  });

  it('replaces a value in place without dropping another entry', () => {
    const map = new LruMap<string, number>(2);
    map.set('a', 1);
    map.set('b', 2);
    map.set('a', 10);
    assert.equal(map.size, 2);
    assert.equal(map.get('a'), 10);
    assert.equal(map.get('b'), 2);
    assert.equal(map.delete('b'), true);
    map.clear();
    assert.equal(map.size, 0);
  });

  it('refuses a capacity that is not a positive integer', () => {
    assert.throws(() => new LruMap(0), RangeError);
    assert.throws(() => new LruMap(1.5), RangeError);
  });
});
