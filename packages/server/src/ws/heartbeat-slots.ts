/**
 * Spreads the WebSocket heartbeat over an interval. A timer pings one slot of connections per
 * tick, so every connection is still pinged once per interval but the pings of thousands of
 * connections are never written in one go: pinging all of them at one instant stalled every
 * socket for tens of milliseconds once per interval. A connection joins the slot pinged last, so
 * its first ping comes one interval after it arrived, and connections arriving at different
 * times are pinged at different times.
 */

/** What the heartbeat drives: a connection pings, or closes itself when silent too long. */
export interface HeartbeatTarget {
  heartbeat(now: number, intervalMs: number): void;
}

/** Heartbeat ticks per interval at most; a tick is never more often than every HEARTBEAT_MIN_TICK_MS. */
const HEARTBEAT_MAX_SLOTS = 100;
const HEARTBEAT_MIN_TICK_MS = 50;

/** The connections by slot; `tick()` every `tickMs` pings the next slot. */
export class HeartbeatSlots<T extends HeartbeatTarget> {
  private readonly slots: Set<T>[];
  private readonly slotOf = new Map<T, Set<T>>();
  /** Index of the slot the next tick pings. */
  private tickSlot = 0;
  readonly tickMs: number;

  constructor(private readonly intervalMs: number) {
    const count = Math.max(1, Math.min(HEARTBEAT_MAX_SLOTS, Math.floor(intervalMs / HEARTBEAT_MIN_TICK_MS)));
    this.slots = Array.from({ length: count }, () => new Set<T>());
    this.tickMs = intervalMs / count;
  }

  add(connection: T): void {
    const count = this.slots.length;
    const slot = this.slots[(this.tickSlot + count - 1) % count]!;
    slot.add(connection);
    this.slotOf.set(connection, slot);
  }

  remove(connection: T): void {
    this.slotOf.get(connection)?.delete(connection);
    this.slotOf.delete(connection);
  }

  /** Pings the next slot; `now` is the gateway clock's time. */
  tick(now: number = Date.now()): void {
    const slot = this.slots[this.tickSlot]!;
    this.tickSlot = (this.tickSlot + 1) % this.slots.length;
    for (const connection of slot) connection.heartbeat(now, this.intervalMs);
  }
}
