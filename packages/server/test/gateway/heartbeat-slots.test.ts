import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeartbeatSlots, type HeartbeatTarget } from '../../src/ws/heartbeat-slots.ts';

function target(): HeartbeatTarget & { beats: number } {
  return {
    beats: 0,
    heartbeat(_now: number, intervalMs: number) {
      assert.equal(intervalMs, 1000);
      this.beats += 1;
    },
  };
}

describe('heartbeat slots', () => {
  it('pings every connection once per interval, a small share of them per tick', () => {
    const slots = new HeartbeatSlots<ReturnType<typeof target>>(1000);
    assert.equal(slots.tickMs, 1000 / 20, 'one tick every 50 ms at most');
    const connections = Array.from({ length: 200 }, target);
    for (const connection of connections) slots.add(connection);
    let busiestTick = 0;
    for (let tick = 0; tick < 20; tick += 1) {
      const before = connections.reduce((sum, connection) => sum + connection.beats, 0);
      slots.tick();
      busiestTick = Math.max(busiestTick, connections.reduce((sum, connection) => sum + connection.beats, 0) - before);
    }
    assert.ok(connections.every((connection) => connection.beats === 1), 'each one pinged exactly once in an interval');
    assert.equal(busiestTick, 10, 'no tick pings more than its share');
  });

  it('forgets a removed connection; a long interval uses at most 100 slots', () => {
    const slots = new HeartbeatSlots<ReturnType<typeof target>>(1000);
    const gone = target();
    const kept = target();
    slots.add(gone);
    slots.add(kept);
    slots.remove(gone);
    slots.remove(gone);
    for (let tick = 0; tick < 20; tick += 1) slots.tick();
    assert.deepEqual([gone.beats, kept.beats], [0, 1]);
    assert.equal(new HeartbeatSlots(25_000).tickMs, 250);
    assert.equal(new HeartbeatSlots(50).tickMs, 50);
  });
});
