/**
 * What a socket that joins a chat must be sent besides the live events: the events after the
 * client's `last_seq` (the resume), or, for a client joining without one (the guide's clients), the
 * end of an answer it may have missed. The socket handler (ws/client-connection.ts) subscribes
 * first, buffering live events, then asks this module, then sends chat_joined, the catch-up, the
 * replay and the buffer; here are only the reads.
 */
import type { ResponseCompleteData } from '@miptech/protocol';
import type { ChatEvent, ChatEventLog, ReplayResult } from '../backend/events/chat-event-log.ts';
import { CATCH_UP_WINDOW_MS, type DeliveredAnswerEnds } from '../backend/delivered-answer-ends.ts';
import type { Logger } from '../base/logger.ts';
import type { ChatRecord, Store } from '../store/store.ts';
import { catchUpData, responseCompleteData, storedAnswerOutcome } from './answer-end.ts';

export interface JoinCatchUpDeps {
  store: Store;
  eventLog: ChatEventLog;
  deliveredAnswerEnds: DeliveredAnswerEnds;
  logger: Logger;
}

export interface JoinCatchUp {
  /** The chat's events after the client's `last_seq`, or only its current seq (a join without one). */
  replay: ReplayResult;
  /** The end of an answer the client may have missed, marked `catch_up` (a join without `last_seq` to an existing chat). */
  missed: ResponseCompleteData | null;
}

/** Newest events of the chat searched first for the published end of an answer stored as streaming. */
const END_LOOKBACK_EVENTS = 64;

/**
 * Reads the join's catch-up. Call it once the socket receives the chat's live events (they are
 * buffered): an end published after the replay's lastSeq then arrives live, one published before
 * is the catch-up's to send. Never rejects on the event log or the store: a replay that fails
 * joins live only, a catch-up that cannot be looked up is left out.
 */
export async function readJoinCatchUp(deps: JoinCatchUpDeps, chat: ChatRecord, lastSeq: number | null, existing: boolean): Promise<JoinCatchUp> {
  let replay: ReplayResult;
  try {
    replay = await deps.eventLog.replay(chat.tenantId, chat.id, lastSeq ?? Number.MAX_SAFE_INTEGER);
  } catch (error) {
    deps.logger.warn({ err: error, chatId: chat.id }, 'replay failed; joining live only');
    replay = { complete: false, events: [], lastSeq: 0 };
  }
  const missed = existing && lastSeq === null ? await missedAnswer(deps, chat, replay.lastSeq) : null;
  return { replay, missed };
}

/**
 * The end of an answer that a client joining without `last_seq` (the guide's clients) may not
 * have seen: without it, a client that was shown "typing" when its socket closed (a node closes
 * its sockets with 1001 first and finishes the answers afterwards; a network drop; a node that
 * died) never learns the answer. The chat's newest message must be an assistant message that
 * ended within CATCH_UP_WINDOW_MS and whose end reached no socket of the chat yet (live or as a
 * catch-up; across nodes with Redis, see delivered-answer-ends.ts). `joinedAtSeq` is the chat's
 * seq the join starts from: later events reach the socket live. Never rejects.
 */
async function missedAnswer(deps: JoinCatchUpDeps, chat: ChatRecord, joinedAtSeq: number): Promise<ResponseCompleteData | null> {
  try {
    const { items } = await deps.store.messages.list(chat.tenantId, chat.id, { limit: 1 });
    const newest = items[0];
    if (!newest || newest.role !== 'assistant') return null;
    if (newest.status === 'streaming') {
      const end = await publishedEnd(deps.eventLog, chat, newest.id, joinedAtSeq);
      if (!end || (await deps.deliveredAnswerEnds.wasDelivered(chat.id, newest.id))) return null;
      return catchUpData(end.data);
    }
    if (!newest.completedAt) return null;
    const endedAt = Date.parse(newest.completedAt);
    if (!(Date.now() - endedAt <= CATCH_UP_WINDOW_MS)) return null;
    if (await deps.deliveredAnswerEnds.wasDelivered(chat.id, newest.id)) return null;
    return catchUpData(responseCompleteData(storedAnswerOutcome(newest)));
  } catch (error) {
    deps.logger.warn({ err: error, chatId: chat.id }, 'could not look for a missed answer');
    return null;
  }
}

/**
 * The terminal event of an answer whose row still reads `streaming`, when it was published at or
 * before `joinedAtSeq` (so it will not reach the socket live). With a shared log (Redis) an end
 * is published just before its row is stored (answer-generation.ts): a join in between would
 * otherwise get neither the end live nor a catch-up. A single node stores first, so there a
 * streaming row means the end is still to come, live. The answer's events are among the chat's
 * newest, so the last END_LOOKBACK_EVENTS are read first; everything retained only when they do
 * not reach back to the answer.
 */
async function publishedEnd(
  log: ChatEventLog,
  chat: ChatRecord,
  messageId: string,
  joinedAtSeq: number,
): Promise<Extract<ChatEvent, { type: 'response_complete' }> | null> {
  if (!log.outlivesProcess || joinedAtSeq <= 0) return null;
  const tail = await log.replay(chat.tenantId, chat.id, Math.max(0, joinedAtSeq - END_LOOKBACK_EVENTS));
  let events = tail.complete ? tail.events : [];
  if (log.retained && !events.some((event) => event.messageId === messageId)) events = await log.retained(chat.tenantId, chat.id);
  for (const event of events) {
    if (event.type === 'response_complete' && event.messageId === messageId && event.seq <= joinedAtSeq) return event;
  }
  return null;
}
