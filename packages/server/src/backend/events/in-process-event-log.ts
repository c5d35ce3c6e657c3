/**
 * The embedded default ChatEventLog: one process, no Redis.
 *
 * Sequence numbers come from hi/lo blocks reserved in the database (store.chats.reserveSeqBlock),
 * so they keep increasing across restarts without a database write per event. Appends of one chat
 * are serialised: seq order is delivery order. Recent events are kept per chat so a client that
 * reconnects with `last_seq` gets what it missed, bounded in count, age and (estimated) bytes per
 * chat, and in bytes over all chats: every retained event outlives the young generation, so an
 * unbounded window made the garbage collector copy and mark hundreds of megabytes under load.
 * The total is shared out evenly: each chat that retains anything may keep up to
 * `maxTotalBytes / chats`, so the oldest events of the busiest chats go first.
 *
 * `retained` hands the lease sweeper whatever is still kept even when the window no longer reaches
 * the chat's first event (a long chat), so an answer the sweeper ends on this node keeps the text
 * its clients saw. That costs nothing while answers stream; the alternative, writing the partial
 * text to the database while generating, would add a write of a growing text to every answer.
 */
import type { ChatEvent, ChatEventListener, ChatEventLog, NewChatEvent, ReplayResult } from './chat-event-log.ts';
import type { Store } from '../../store/store.ts';

export interface InProcessEventLogOptions {
  /** Sequence numbers reserved per database round trip. @default 256 */
  seqBlockSize?: number;
  /** Events kept per chat for replay. @default 2000 */
  maxEventsPerChat?: number;
  /** How long events are kept for replay. @default 300000 (5 minutes) */
  retentionMs?: number;
  /** Estimated bytes of events kept per chat. @default 1048576 (1 MiB) */
  maxBytesPerChat?: number;
  /** Estimated bytes of events kept over all chats. @default 33554432 (32 MiB) */
  maxTotalBytes?: number;
  /** How often idle chats and old events are dropped. @default 30000 */
  sweepIntervalMs?: number;
}

/**
 * Rough heap size of a retained event: the event and data objects, plus the text they carry.
 * Cheap for the per-token chunks (a few property reads); only nested values (the sources of a
 * response_complete, once per answer) are measured by serialising them.
 */
export function estimateEventBytes(event: NewChatEvent): number {
  let bytes = 160;
  const data: object = event.data;
  for (const key in data) {
    const value = (data as Readonly<Record<string, unknown>>)[key];
    bytes += 16;
    if (typeof value === 'string') bytes += value.length;
    else if (typeof value === 'object' && value !== null) bytes += JSON.stringify(value).length;
  }
  return bytes;
}

interface ChatState {
  tenantId: string;
  chatId: string;
  nextSeq: number;
  ceiling: number;
  /** Every seq at or below this is no longer (or was never) in `events`. */
  floor: number;
  /** false until the floor is known (read from, or reserved above, the stored ceiling). */
  initialized: boolean;
  /** Retained events, and in parallel (no wrapper object per event) when each was appended and its estimated bytes. */
  events: ChatEvent[];
  times: number[];
  sizes: number[];
  /** Index of the oldest live entry in `events` (cheap trimming without shifting each time). */
  head: number;
  /** Sum of `sizes` from `head` on. */
  bytes: number;
  pending: number;
  tail: Promise<unknown>;
  lastActivity: number;
}

export function createInProcessEventLog(store: Store, options: InProcessEventLogOptions = {}): ChatEventLog {
  const blockSize = options.seqBlockSize ?? 256;
  const maxEvents = options.maxEventsPerChat ?? 2000;
  const retentionMs = options.retentionMs ?? 300_000;
  const maxBytesPerChat = options.maxBytesPerChat ?? 1024 * 1024;
  const maxTotalBytes = options.maxTotalBytes ?? 32 * 1024 * 1024;
  const chats = new Map<string, ChatState>();
  const listeners = new Map<string, Set<ChatEventListener>>();
  /** Chats retaining at least one event: the total byte budget is shared among them. */
  let retainingChats = 0;
  let closed = false;

  const byteCap = () => Math.min(maxBytesPerChat, maxTotalBytes / Math.max(1, retainingChats));

  function stateFor(tenantId: string, chatId: string): ChatState {
    let state = chats.get(chatId);
    if (!state || state.tenantId !== tenantId) {
      if (state && state.events.length > state.head) retainingChats -= 1;
      state = {
        tenantId,
        chatId,
        nextSeq: 1,
        ceiling: 0,
        floor: 0,
        initialized: false,
        events: [],
        times: [],
        sizes: [],
        head: 0,
        bytes: 0,
        pending: 0,
        tail: Promise.resolve(),
        lastActivity: Date.now(),
      };
      chats.set(chatId, state);
    }
    return state;
  }

  /**
   * Where the window of a chat this process has not appended to starts: every seq up to the
   * chat's ceiling may have been issued (by an earlier process), so above it. Read, not reserved:
   * a join (which replays) writes nothing; the first append reserves a block.
   */
  async function learnFloor(state: ChatState): Promise<void> {
    const ceiling = await store.chats.seqCeiling(state.tenantId, state.chatId);
    if (state.initialized) return;
    state.floor = ceiling;
    state.initialized = true;
    state.nextSeq = Math.max(state.nextSeq, ceiling + 1);
  }

  async function reserve(state: ChatState): Promise<void> {
    const oldCeiling = await store.chats.reserveSeqBlock(state.tenantId, state.chatId, blockSize);
    if (!state.initialized) {
      state.floor = oldCeiling;
      state.initialized = true;
    }
    state.nextSeq = Math.max(state.nextSeq, oldCeiling + 1);
    state.ceiling = oldCeiling + blockSize;
  }

  /** Drops the oldest events beyond the count, byte and age bounds. */
  function trim(state: ChatState, now: number): void {
    const end = state.events.length;
    const cap = byteCap();
    let head = state.head;
    let bytes = state.bytes;
    while (head < end) {
      // The newest event stays whatever its size (only age drops it): a replay must reach the present.
      const over = end - head > maxEvents || (bytes > cap && head < end - 1) || now - state.times[head]! > retentionMs;
      if (!over) break;
      bytes -= state.sizes[head]!;
      head += 1;
    }
    if (head === state.head) return;
    state.floor = state.events[head - 1]!.seq;
    if (head === end) {
      state.events = [];
      state.times = [];
      state.sizes = [];
      state.head = 0;
      state.bytes = 0;
      retainingChats -= 1;
      return;
    }
    state.head = head;
    state.bytes = bytes;
    if (head > 1024 && head * 2 > end) {
      state.events = state.events.slice(head);
      state.times = state.times.slice(head);
      state.sizes = state.sizes.slice(head);
      state.head = 0;
    }
  }

  function commit(state: ChatState, input: NewChatEvent): ChatEvent {
    const event: ChatEvent = {
      tenantId: input.tenantId,
      chatId: input.chatId,
      seq: state.nextSeq,
      type: input.type,
      messageId: input.messageId,
      data: input.data,
    } as ChatEvent; // field by field (nothing else of the input retained); type and data come as a pair
    state.nextSeq += 1;
    const now = Date.now();
    state.lastActivity = now;
    if (state.events.length === state.head) retainingChats += 1;
    const size = estimateEventBytes(input);
    state.events.push(event);
    state.times.push(now);
    state.sizes.push(size);
    state.bytes += size;
    if (state.events.length - state.head > maxEvents || state.bytes > byteCap()) trim(state, now);
    const chatListeners = listeners.get(state.chatId);
    if (chatListeners) {
      for (const listener of chatListeners) {
        try {
          listener(event);
        } catch {
          // A broken subscriber must not stop delivery to the others.
        }
      }
    }
    return event;
  }

  function enqueue<T>(state: ChatState, work: () => Promise<T>): Promise<T> {
    state.pending += 1;
    const result = state.tail.then(work).finally(() => {
      state.pending -= 1;
    });
    state.tail = result.catch(() => undefined);
    return result;
  }

  const sweep = setInterval(() => {
    const now = Date.now();
    for (const [chatId, state] of chats) {
      trim(state, now);
      const idle = now - state.lastActivity > retentionMs;
      if (idle && state.pending === 0 && !listeners.has(chatId)) {
        if (state.events.length > state.head) retainingChats -= 1;
        chats.delete(chatId);
      }
    }
  }, options.sweepIntervalMs ?? 30_000);
  sweep.unref();

  return {
    append(input) {
      if (closed) return Promise.reject(new Error('event log closed'));
      const state = stateFor(input.tenantId, input.chatId);
      if (state.pending === 0 && state.nextSeq <= state.ceiling) return Promise.resolve(commit(state, input));
      return enqueue(state, async () => {
        if (state.nextSeq > state.ceiling) await reserve(state);
        return commit(state, input);
      });
    },

    subscribe(chatId, listener) {
      let set = listeners.get(chatId);
      if (!set) {
        set = new Set();
        listeners.set(chatId, set);
      }
      set.add(listener);
      return () => {
        const current = listeners.get(chatId);
        if (!current) return;
        current.delete(listener);
        if (current.size === 0) listeners.delete(chatId);
      };
    },

    async replay(tenantId, chatId, afterSeq): Promise<ReplayResult> {
      const state = stateFor(tenantId, chatId);
      // Wait for appends in flight, and learn the floor of a chat this process has not seen yet.
      await enqueue(state, async () => {
        if (!state.initialized) await learnFloor(state);
      });
      trim(state, Date.now());
      const lastSeq = state.nextSeq - 1;
      const complete = afterSeq >= state.floor && afterSeq <= lastSeq;
      const events: ChatEvent[] = [];
      if (complete) {
        for (let index = state.head; index < state.events.length; index += 1) {
          const event = state.events[index]!;
          if (event.seq > afterSeq) events.push(event);
        }
      }
      return { complete, events, lastSeq };
    },

    async retained(tenantId, chatId) {
      const state = chats.get(chatId);
      if (!state || state.tenantId !== tenantId) return [];
      // Appends in flight first, so the newest events are included.
      await enqueue(state, async () => undefined);
      trim(state, Date.now());
      return state.events.slice(state.head);
    },

    async deleteChat(tenantId, chatId) {
      const state = chats.get(chatId);
      if (!state || state.tenantId !== tenantId) return 0;
      // After the appends in flight, so none lands in a window that was already dropped.
      await enqueue(state, async () => undefined);
      if (chats.get(chatId) !== state) return 0;
      const retained = state.events.length - state.head;
      if (retained > 0) retainingChats -= 1;
      chats.delete(chatId);
      return retained;
    },

    async close() {
      closed = true;
      clearInterval(sweep);
      await Promise.all([...chats.values()].map((state) => state.tail));
      chats.clear();
      retainingChats = 0;
      listeners.clear();
    },
  };
}
