/**
 * The Lua scripts behind RedisChatEventLog. Each chat has two keys (one hash slot):
 *
 * - `…chat:{<id>}:seq`, a hash: `seq` (last seq issued), `ceil` (highest seq this Redis may issue:
 *   a ceiling already reserved in the database, see RedisChatEventLog) and `floor` (every event with
 *   a seq above it is still in the stream; replays from below it are incomplete);
 * - `…chat:{<id>}:log`, a stream whose entry ids are `<seq>-0` and whose field `e` holds the event.
 *
 * Numbers are formatted with %d because Lua's default number formatting switches to exponent
 * notation past 1e14.
 */
import { RedisScript } from '../redis/redis-script.ts';

/** Returned by APPEND / BUMP / REPLAY when the chat has no counter in Redis (new, expired or lost). */
export const NO_COUNTER = -1;
/** Returned by APPEND / BUMP when the next seq would pass the reserved ceiling. */
export const CEILING_REACHED = -2;

/**
 * Lua function shared by APPEND and APPEND_BATCH: issues the chat's next seq, stores the event
 * with it, trims the stream and publishes. `body` is the event JSON without seq (an object,
 * starts with `{`); `minSeq` a seq this node issued while Redis was away (0 if none). Returns the
 * seq, or NO_COUNTER / CEILING_REACHED (nothing written).
 */
const APPEND_ONE = `
local function append_one(counter, stream, channel, body, maxLen, ttl, minSeq)
  local state = redis.call('HMGET', counter, 'seq', 'ceil', 'floor')
  local seq = tonumber(state[1])
  if not seq then return ${NO_COUNTER} end
  local ceil = tonumber(state[2]) or 0
  local floor = tonumber(state[3]) or 0
  if minSeq > seq then
    seq = minSeq
    if minSeq > floor then floor = minSeq end
  end
  local nextSeq = seq + 1
  if nextSeq > ceil then return ${CEILING_REACHED} end
  local lengthBefore = redis.call('XLEN', stream)
  local id = string.format('%d', nextSeq)
  local payload = '{"seq":' .. id .. ',' .. string.sub(body, 2)
  redis.call('XADD', stream, 'MAXLEN', maxLen, id .. '-0', 'e', payload)
  if lengthBefore >= maxLen then
    local first = redis.call('XRANGE', stream, '-', '+', 'COUNT', 1)[1]
    local firstSeq = tonumber(string.match(first[1], '^(%d+)'))
    if firstSeq - 1 > floor then floor = firstSeq - 1 end
  end
  redis.call('HSET', counter, 'seq', id, 'floor', string.format('%d', floor))
  redis.call('EXPIRE', counter, ttl)
  redis.call('EXPIRE', stream, ttl)
  redis.call('PUBLISH', channel, payload)
  return nextSeq
end
`;

/**
 * KEYS: counter, stream. ARGV: channel, event JSON without seq, max events kept, ttl seconds,
 * minimum seq. One event in one round trip, atomic, so every node sees the same seq and pub/sub
 * order is seq order. Used when an event of a batch must be retried (its chat had no counter or
 * reached its ceiling).
 */
export const APPEND_SCRIPT = new RedisScript(`${APPEND_ONE}
return append_one(KEYS[1], KEYS[2], ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4], tonumber(ARGV[5]))
`);

/**
 * KEYS: counter and stream of every event, in order (2 per event). ARGV: max events kept, ttl
 * seconds, then channel, event JSON without seq and minimum seq of every event.
 * The events appended by one node in one turn of its event loop, in one round trip: each as by
 * APPEND_SCRIPT, in order, atomically. Returns one result per event (seq, NO_COUNTER or
 * CEILING_REACHED). Once an event of a chat fails, the chat's later events in the batch fail too
 * (same state), so a retried event never lands after a later one of the batch.
 * The keys of several chats live in several hash slots: this script needs a single Redis server
 * (or a primary/replica pair), not Redis Cluster.
 */
export const APPEND_BATCH_SCRIPT = new RedisScript(`${APPEND_ONE}
local maxLen = tonumber(ARGV[1])
local ttl = ARGV[2]
local out = {}
for i = 1, #KEYS / 2 do
  local arg = 3 + (i - 1) * 3
  out[i] = append_one(KEYS[2 * i - 1], KEYS[2 * i], ARGV[arg], ARGV[arg + 1], maxLen, ttl, tonumber(ARGV[arg + 2]))
end
return out
`);

/**
 * KEYS: counter. ARGV: old database ceiling, new database ceiling, ttl seconds.
 * Called after the node reserved a block in the database. A missing counter starts at the old
 * ceiling (above every seq ever issued for the chat, even if Redis lost them all) with the floor
 * there too; an existing one only gets its ceiling raised.
 */
export const RAISE_CEILING_SCRIPT = new RedisScript(`
local seq = redis.call('HGET', KEYS[1], 'seq')
if not seq then
  redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'ceil', ARGV[2], 'floor', ARGV[1])
else
  local ceil = tonumber(redis.call('HGET', KEYS[1], 'ceil')) or 0
  if tonumber(ARGV[2]) > ceil then redis.call('HSET', KEYS[1], 'ceil', ARGV[2]) end
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
return 1
`);

/**
 * KEYS: counter. ARGV: minimum seq, ttl seconds.
 * After an outage: moves the counter past the seqs this node issued on its own meanwhile, so the
 * chat's seq never goes backwards for the clients that saw them.
 */
export const BUMP_SCRIPT = new RedisScript(`
local seq = tonumber(redis.call('HGET', KEYS[1], 'seq'))
if not seq then return ${NO_COUNTER} end
local minSeq = tonumber(ARGV[1])
if minSeq <= seq then return seq end
local ceil = tonumber(redis.call('HGET', KEYS[1], 'ceil')) or 0
if minSeq > ceil then return ${CEILING_REACHED} end
local floor = tonumber(redis.call('HGET', KEYS[1], 'floor')) or 0
if minSeq > floor then floor = minSeq end
redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'floor', string.format('%d', floor))
redis.call('EXPIRE', KEYS[1], ARGV[2])
return minSeq
`);

/**
 * KEYS: counter, stream. ARGV: after seq, max events.
 * Returns `{NO_COUNTER}` or `{seq, floor, payload…}` read atomically, so the retention check and
 * the events agree.
 */
export const REPLAY_SCRIPT = new RedisScript(`
local seq = redis.call('HGET', KEYS[1], 'seq')
if not seq then return {${NO_COUNTER}} end
local floor = redis.call('HGET', KEYS[1], 'floor') or '0'
local start = string.format('%d', tonumber(ARGV[1]) + 1) .. '-0'
local entries = redis.call('XRANGE', KEYS[2], start, '+', 'COUNT', ARGV[2])
local out = {seq, floor}
for _, entry in ipairs(entries) do out[#out + 1] = entry[2][2] end
return out
`);
