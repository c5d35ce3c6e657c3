/**
 * The embedded default ChatEventLog: one process, no Redis.
 *
 * Sequence numbers come from hi/lo blocks reserved in the database (store.chats.reserveSeqBlock),
 * so they keep increasing across restarts without a database write per event. Appends of one chat
 * are serialised: seq order is delivery order. Recent events are kept per chat (bounded in count
 * and age) so a client that reconnects with `last_seq` gets what it missed.
 *
 * `retained` hands the lease sweeper whatever is still kept even when the window no longer reaches
 * the chat's first event (a long chat), so an answer the sweeper ends on this node keeps the text
 * its clients saw. That costs nothing while answers stream; the alternative, writing the partial
 * text to the database while generating, would add a write of a growing text to every answer.
 */
import type { ChatEvent, ChatEventListener, ChatEventLog, ReplayResult } from './chat-event-log.ts';
import type { Store } from '../store/store.ts';

export interface InProcessEventLogOptions {
  /** Sequence numbers reserved per database round trip. @default 256 */
  seqBlockSize?: number;
  /** Events kept per chat for replay. @default 2000 */
  maxEventsPerChat?: number;
  /** How long events are kept for replay. @default 300000 (5 minutes) */
  retentionMs?: number;
  /** How often idle chats and old events are dropped. @default 30000 */
  sweepIntervalMs?: number;
}

interface RetainedEvent {
  event: ChatEvent;
  at: number;
}

interface ChatState {
  tenantId: string;
  chatId: string;
  nextSeq: number;
  ceiling: number;
  /** Every seq at or below this is no longer (or was never) in `events`. */
  floor: number;
  /** false until the first block is reserved: `floor` is unknown until then. */
  initialized: boolean;
  events: RetainedEvent[];
  /** Index of the oldest live entry in `events` (cheap trimming without shifting each time). */
  head: number;
  pending: number;
  tail: Promise<unknown>;
  lastActivity: number;
}

export function createInProcessEventLog(store: Store, options: InProcessEventLogOptions = {}): ChatEventLog {
  const blockSize = options.seqBlockSize ?? 256;
  const maxEvents = options.maxEventsPerChat ?? 2000;
  const retentionMs = options.retentionMs ?? 300_000;
  const chats = new Map<string, ChatState>();
  const listeners = new Map<string, Set<ChatEventListener>>();
  let closed = false;

  function stateFor(tenantId: string, chatId: string): ChatState {
    let state = chats.get(chatId);
    if (!state || state.tenantId !== tenantId) {
      state = {
        tenantId,
        chatId,
        nextSeq: 1,
        ceiling: 0,
        floor: 0,
        initialized: false,
        events: [],
        head: 0,
        pending: 0,
        tail: Promise.resolve(),
        lastActivity: Date.now(),
      };
      chats.set(chatId, state);
    }
    return state;
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

  function trim(state: ChatState, now: number): void {
    const live = state.events.length - state.head;
    let drop = live > maxEvents ? live - maxEvents : 0;
    while (state.head + drop < state.events.length && now - state.events[state.head + drop]!.at > retentionMs) drop += 1;
    if (drop > 0) {
      state.floor = state.events[state.head + drop - 1]!.event.seq;
      state.head += drop;
      if (state.head > 1024 && state.head * 2 > state.events.length) {
        state.events = state.events.slice(state.head);
        state.head = 0;
      }
    }
  }

  function commit(state: ChatState, input: Omit<ChatEvent, 'seq'>): ChatEvent {
    const event: ChatEvent = { ...input, seq: state.nextSeq };
    state.nextSeq += 1;
    const now = Date.now();
    state.lastActivity = now;
    state.events.push({ event, at: now });
    if (state.events.length - state.head > maxEvents) trim(state, now);
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
      if (idle && state.pending === 0 && !listeners.has(chatId)) chats.delete(chatId);
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
        if (!state.initialized) await reserve(state);
      });
      trim(state, Date.now());
      const lastSeq = state.nextSeq - 1;
      const complete = afterSeq >= state.floor && afterSeq <= lastSeq;
      const events: ChatEvent[] = [];
      if (complete) {
        for (let index = state.head; index < state.events.length; index += 1) {
          const event = state.events[index]!.event;
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
      const events: ChatEvent[] = [];
      for (let index = state.head; index < state.events.length; index += 1) events.push(state.events[index]!.event);
      return events;
    },

    async close() {
      closed = true;
      clearInterval(sweep);
      await Promise.all([...chats.values()].map((state) => state.tail));
      chats.clear();
      listeners.clear();
    },
  };
}
