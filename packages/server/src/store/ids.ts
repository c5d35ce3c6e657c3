/**
 * Record ids: `<prefix>_<time><random>`, e.g. `msg_01hx3k9v2q7d4m8z6c5b1n0p3r`.
 *
 * The first 10 characters encode the creation time in milliseconds and the last 16 are random
 * (80 bits), both in lower-case Crockford base32, whose alphabet sorts in ASCII order. So ids of
 * one kind sort by creation time, and the message history can be paged with an id cursor. Within
 * one millisecond the random part is incremented instead of redrawn (as ULID's monotonic mode
 * does), so ids made by one process keep their creation order even then.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const TIME_LENGTH = 10;
const RANDOM_LENGTH = 16;
const RANDOM_LIMIT = 1n << 80n;

export type IdPrefix = 'chat' | 'msg' | 'doc' | 'chunk';

let lastTime = -1;
let lastRandom = 0n;

function encode(value: bigint, length: number): string {
  let out = '';
  let rest = value;
  for (let index = 0; index < length; index += 1) {
    out = ALPHABET[Number(rest & 31n)] + out;
    rest >>= 5n;
  }
  return out;
}

function freshRandom(): bigint {
  return BigInt(`0x${randomBytes(10).toString('hex')}`);
}

/** A new time-sortable id with the given prefix (`chat_…`, `msg_…`, `doc_…`). */
export function newId(prefix: IdPrefix, now: number = Date.now()): string {
  // A clock that steps back (NTP) must not reorder ids: keep counting from the last time seen.
  const time = Math.max(now, lastTime);
  if (time === lastTime) {
    lastRandom += 1n;
    if (lastRandom >= RANDOM_LIMIT) {
      // 2^80 ids in one millisecond cannot happen; should the random draw start near the top,
      // move on to the next millisecond rather than wrap around.
      lastTime = time + 1;
      lastRandom = freshRandom() >> 1n;
    }
  } else {
    lastTime = time;
    // Half range so that increments within one millisecond never overflow in practice.
    lastRandom = freshRandom() >> 1n;
  }
  return `${prefix}_${encode(BigInt(lastTime), TIME_LENGTH)}${encode(lastRandom, RANDOM_LENGTH)}`;
}
