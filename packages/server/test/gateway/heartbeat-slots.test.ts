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
  it('pings a connection first one interval after it arrived, then once per interval; arrivals at different times spread', () => {
    const slots = new HeartbeatSlots<ReturnType<typeof target>>(1000);
    assert.equal(slots.tickMs, 1000 / 20, 'one tick every 50 ms at most');
    const connections: ReturnType<typeof target>[] = [];
    let busiestTick = 0;
    // 200 connections arriving evenly over one interval (10 per tick), then two more intervals.
    for (let tick = 0; tick < 60; tick += 1) {
      if (tick < 20) {
        for (let index = 0; index < 10; index += 1) {
          const connection = target();
          connections.push(connection);
          slots.add(connection);
        }
      }
      const before = connections.reduce((sum, connection) => sum + connection.beats, 0);
      slots.tick();
      busiestTick = Math.max(busiestTick, connections.reduce((sum, connection) => sum + connection.beats, 0) - before);
      if (tick === 18) assert.equal(connections[0]?.beats, 0, 'not pinged before a full interval');
      if (tick === 19) assert.equal(connections[0]?.beats, 1, 'pinged once a full interval has passed');
    }
    assert.ok(connections.every((connection) => connection.beats >= 2 && connection.beats <= 3), 'about once per interval');
    assert.equal(busiestTick, 10, 'no tick pings more than the connections that arrived in one tick');
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
