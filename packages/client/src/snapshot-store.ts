/**
 * Holds the current ChatSnapshot. `update` makes a new frozen snapshot only when a field actually
 * changed (compared by identity), then tells every subscriber. A throwing subscriber does not stop
 * the others; its error is rethrown asynchronously so it still shows up.
 */
import type { ChatSnapshot } from './chat-snapshot.ts';

export class SnapshotStore {
  private current: ChatSnapshot;
  private readonly listeners = new Set<() => void>();

  constructor(initial: ChatSnapshot) {
    this.current = Object.freeze({ ...initial });
  }

  get(): ChatSnapshot {
    return this.current;
  }

  update(patch: Partial<ChatSnapshot>): boolean {
    let changed = false;
    for (const key of Object.keys(patch) as Array<keyof ChatSnapshot>) {
      if (!Object.is(patch[key], this.current[key])) {
        changed = true;
        break;
      }
    }
    if (!changed) return false;
    this.current = Object.freeze({ ...this.current, ...patch });
    for (const listener of [...this.listeners]) {
      try {
        listener();
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    return true;
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
