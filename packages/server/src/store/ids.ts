/**
 * Record ids: `<prefix>_<time><random>`, e.g. `msg_01hx3k9v2q7d4m8z6c5b1n0p3r`.
 *
 * The first 10 characters encode the creation time in milliseconds and the last 16 are random
 * (80 bits), both in lower-case Crockford base32, whose alphabet sorts in ASCII order. So ids of
 * one kind sort by creation time, and the message history can be paged with an id cursor. Within
 * one millisecond the random part is incremented instead of redrawn (as ULID's monotonic mode
 * does), so ids made by one process keep their creation order even then.
 */
import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const TIME_LENGTH = 10;
/** The 80 random bits as two 40-bit halves (8 characters each): plain numbers, no BigInt on the hot path. */
const HALF_LENGTH = 8;
const HALF_LIMIT = 2 ** 40;

export type IdPrefix = 'chat' | 'msg' | 'doc' | 'chunk';

let lastTime = -1;
let randomHigh = 0;
let randomLow = 0;

/** Random bytes drawn a few kilobytes at a time: one call to the CSPRNG per 400 ids instead of one each. */
const pool = Buffer.alloc(4000);
let poolOffset = pool.length;

const DIGITS = Array.from(ALPHABET, (char) => char.charCodeAt(0));
/** Character codes of the id being built (one id at a time: this module is synchronous). */
const codes: number[] = new Array<number>(TIME_LENGTH + 2 * HALF_LENGTH).fill(0);

/** Writes `value` as `length` base32 digits, most significant first, ending before `end`. */
function encodeInto(value: number, end: number, length: number): void {
  let rest = value;
  for (let index = end - 1; index >= end - length; index -= 1) {
    codes[index] = DIGITS[rest % 32]!;
    rest = Math.floor(rest / 32);
  }
}

/** Fresh random halves; the high one below 2^39 (half range), so increments within one millisecond never overflow in practice. */
function drawRandom(): void {
  if (poolOffset + 10 > pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  randomHigh = Math.floor(pool.readUIntBE(poolOffset, 5) / 2);
  randomLow = pool.readUIntBE(poolOffset + 5, 5);
  poolOffset += 10;
}

/** A new time-sortable id with the given prefix (`chat_…`, `msg_…`, `doc_…`). */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  // A clock that steps back (NTP) must not reorder ids: keep counting from the last time seen.
  const time = Math.max(now, lastTime);
  if (time === lastTime) {
    randomLow += 1;
    if (randomLow === HALF_LIMIT) {
      randomLow = 0;
      randomHigh += 1;
    }
    if (randomHigh === HALF_LIMIT) {
      // 2^79 ids in one millisecond cannot happen; should the random draw start near the top,
      // move on to the next millisecond rather than wrap around.
      lastTime = time + 1;
      drawRandom();
    }
  } else {
    lastTime = time;
    drawRandom();
  }
  encodeInto(lastTime, TIME_LENGTH, TIME_LENGTH);
  encodeInto(randomHigh, TIME_LENGTH + HALF_LENGTH, HALF_LENGTH);
  encodeInto(randomLow, TIME_LENGTH + 2 * HALF_LENGTH, HALF_LENGTH);
  return `${prefix}_${String.fromCharCode(...codes)}`;
}
