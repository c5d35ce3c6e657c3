/**
 * Recorded latency samples with exact percentiles. At the bench's sizes (at most a few hundred
 * thousand samples per measurement) sorting the recorded values is cheap and exact, so there is no
 * bucketing error to explain away.
 */
export interface SampleSummary {
  count: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** An empty summary: every figure NaN, so a missing measurement cannot pass for a zero. */
export const EMPTY_SUMMARY: SampleSummary = Object.freeze({
  count: 0, min: NaN, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN,
});

/**
 * Nearest-rank percentile of an ascending-sorted array: the smallest sample such that at least
 * `p` percent of the samples are less than or equal to it. NaN for an empty array.
 */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const n = sorted.length;
  if (n === 0) return NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * n));
  return sorted[Math.min(rank, n) - 1] as number;
}

/** A growable buffer of samples (milliseconds by convention) that summarises itself exactly. */
export class Samples {
  private values: Float64Array;
  private size = 0;

  constructor(initialCapacity = 1024) {
    this.values = new Float64Array(Math.max(16, initialCapacity));
  }

  /** Builds a recorder from already-recorded values (e.g. a worker's transferred buffer). */
  static from(values: ArrayLike<number>): Samples {
    const samples = new Samples(values.length);
    for (let i = 0; i < values.length; i++) samples.record(values[i] as number);
    return samples;
  }

  get count(): number {
    return this.size;
  }

  /** Records one sample; non-finite values are rejected so they cannot poison a percentile. */
  record(value: number): void {
    if (!Number.isFinite(value)) throw new RangeError(`sample must be finite, got ${value}`);
    if (this.size === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.size++] = value;
  }

  /** Appends every sample of `other`. */
  merge(other: Samples): void {
    const values = other.toArray();
    for (let i = 0; i < values.length; i++) this.record(values[i] as number);
  }

  /** A copy of the recorded samples, in recording order. */
  toArray(): Float64Array {
    return this.values.slice(0, this.size);
  }

  percentile(p: number): number {
    return percentileOfSorted(this.sorted(), p);
  }

  summary(): SampleSummary {
    if (this.size === 0) return { ...EMPTY_SUMMARY };
    const sorted = this.sorted();
    let sum = 0;
    for (let i = 0; i < sorted.length; i++) sum += sorted[i] as number;
    return {
      count: sorted.length,
      min: sorted[0] as number,
      p50: percentileOfSorted(sorted, 50),
      p90: percentileOfSorted(sorted, 90),
      p99: percentileOfSorted(sorted, 99),
      max: sorted[sorted.length - 1] as number,
      mean: sum / sorted.length,
    };
  }

  private sorted(): Float64Array {
    // Float64Array#sort is numeric (not lexicographic like Array#sort without a comparator).
    return this.values.slice(0, this.size).sort();
  }
}

/** Median of a few numbers (across rounds); NaN values are ignored, NaN when none is left. */
export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return NaN;
  const mid = Math.floor(finite.length / 2);
  return finite.length % 2 === 1 ? (finite[mid] as number) : ((finite[mid - 1] as number) + (finite[mid] as number)) / 2;
}
