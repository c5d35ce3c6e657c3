/**
 * Notices a dead connection. A TCP connection that silently died (laptop lid closed, NAT timeout,
 * Wi-Fi switch) fires no close event for minutes; the server pings every heartbeat interval, so
 * after one quiet interval the client pings (the server's pong proves the link) and after two
 * quiet intervals it declares the connection dead.
 */
import type { TimerHandle, TimersLike } from './chat-client-options.ts';

/** Used until `connection_ready` tells the server's interval. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 25_000;

export class HeartbeatWatchdog {
  private intervalMs = DEFAULT_HEARTBEAT_INTERVAL_MS;
  private quietTimer: TimerHandle | null = null;
  private deadTimer: TimerHandle | null = null;
  private running = false;

  constructor(
    private readonly timers: TimersLike,
    private readonly onQuiet: () => void,
    private readonly onDead: () => void,
  ) {}

  start(intervalMs: number = DEFAULT_HEARTBEAT_INTERVAL_MS): void {
    this.intervalMs = intervalMs;
    this.running = true;
    this.beat();
  }

  /** The server's interval from `connection_ready`. */
  setInterval(intervalMs: number): void {
    if (!Number.isFinite(intervalMs) || intervalMs <= 0) return;
    this.intervalMs = intervalMs;
    if (this.running) this.beat();
  }

  /** A frame arrived: the connection is alive. */
  beat(): void {
    if (!this.running) return;
    this.clear();
    this.quietTimer = this.timers.setTimeout(() => {
      this.quietTimer = null;
      this.onQuiet();
    }, this.intervalMs);
    this.deadTimer = this.timers.setTimeout(() => {
      this.deadTimer = null;
      this.running = false;
      if (this.quietTimer !== null) this.timers.clearTimeout(this.quietTimer);
      this.quietTimer = null;
      this.onDead();
    }, this.intervalMs * 2);
  }

  stop(): void {
    this.running = false;
    this.clear();
  }

  private clear(): void {
    if (this.quietTimer !== null) this.timers.clearTimeout(this.quietTimer);
    if (this.deadTimer !== null) this.timers.clearTimeout(this.deadTimer);
    this.quietTimer = null;
    this.deadTimer = null;
  }
}
