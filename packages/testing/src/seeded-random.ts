/**
 * A seeded pseudo-random generator for the adversarial tests: the same seed gives the same inputs,
 * so a failure found by a fuzzer can be replayed. The seed comes from the SEED environment variable
 * when set (to reproduce a run), otherwise from the clock; `withSeed` puts it into every failure.
 *
 *   const random = seededRandom(testSeed());
 *   await withSeed(random.seed, async () => { ... random.int(0, 9) ... });
 */

export interface SeededRandom {
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [min, max] (both included). */
  int(min: number, max: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** `length` characters drawn from `alphabet`. */
  string(length: number, alphabet?: string): string;
}

const DEFAULT_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-';

/** The run's seed: SEED when set (a failure message names it), otherwise a fresh one. */
export function testSeed(): number {
  const fromEnv = process.env.SEED?.trim();
  if (fromEnv) {
    const seed = Number(fromEnv);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`SEED must be an integer in [0, 2^32), got: ${fromEnv}`);
    return seed;
  }
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}

/** mulberry32: small, fast, and good enough to spread test inputs (not for anything secret). */
export function seededRandom(seed: number): SeededRandom {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number): number => min + Math.floor(next() * (max - min + 1));
  return {
    seed,
    next,
    int,
    chance: (p) => next() < p,
    pick: (items) => {
      if (items.length === 0) throw new Error('pick from an empty list');
      return items[int(0, items.length - 1)]!;
    },
    string(length, alphabet = DEFAULT_ALPHABET) {
      let out = '';
      for (let i = 0; i < length; i += 1) out += alphabet[int(0, alphabet.length - 1)];
      return out;
    },
  };
}

/**
 * Runs `body`; a failure is rethrown with `SEED=<seed>` in its message, so the run can be repeated
 * with exactly the same inputs (`SEED=<seed> node scripts/run-tests.mjs <file>`).
 */
export async function withSeed<T>(seed: number, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof Error) {
      error.message = `${error.message}\n  reproduce with SEED=${seed}`;
      throw error;
    }
    throw new Error(`${String(error)}\n  reproduce with SEED=${seed}`);
  }
}
