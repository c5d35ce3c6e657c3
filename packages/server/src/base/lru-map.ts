/**
 * A Map bounded in entries that drops the least recently used one when full. Used for caches on
 * hot paths (prepared statements, verified tokens) where an unbounded Map would grow with every
 * distinct key an attacker or a bug can produce.
 */
export class LruMap<K, V> {
  // A Map iterates in insertion order: re-inserting on every hit keeps the least recently used first.
  private readonly entries = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * The value, marked as just used; undefined when absent. Marking (moving the entry to the back)
   * only matters once the map is full and evicts: below that, hits leave the order alone, which
   * spares the hot paths a delete and an insert per lookup.
   */
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined && this.entries.size >= this.capacity) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  /** Stores the value as the most recently used, dropping the least recently used entry when full. */
  set(key: K, value: V): void {
    if (this.entries.has(key)) this.entries.delete(key);
    else if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as K);
    this.entries.set(key, value);
  }

  delete(key: K): boolean {
    return this.entries.delete(key);
  }

  clear(): void {
    this.entries.clear();
  }
}
