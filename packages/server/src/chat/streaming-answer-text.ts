/**
 * The text of an answer still being generated, for history (issue #15, item 9). The generating
 * node does not store partial text while it streams (the row says `streaming` with no content
 * until the end), so a page reloaded mid-answer read an empty row, joined without `last_seq`
 * (nothing replayed), received chunks whose start it never had, and showed typing dots until the
 * whole answer arrived. History now carries the text the chat's event log proves was sent, with
 * `next_chunk_index`, so the client shows it at once and appends the live chunks from there.
 */
import type { MessageResource } from '@miptech/protocol';
import type { ChatEventLog } from '../backend/events/chat-event-log.ts';
import type { Logger } from '../base/logger.ts';
import { rebuildPartialAnswer } from './continue-answer.ts';

/** `items` with every streaming assistant message's sent text filled in from the event log (when the log proves it). Never rejects. */
export async function withStreamingText(
  deps: { eventLog: ChatEventLog; logger: Logger },
  tenantId: string,
  chatId: string,
  items: MessageResource[],
): Promise<MessageResource[]> {
  if (!items.some((item) => item.role === 'assistant' && item.status === 'streaming')) return items;
  let events;
  try {
    events = deps.eventLog.retained ? await deps.eventLog.retained(tenantId, chatId) : (await deps.eventLog.replay(tenantId, chatId, 0)).events;
  } catch (error) {
    deps.logger.warn({ err: error, chatId }, 'could not read the event log for a streaming answer; history shows it without its text');
    return items;
  }
  return items.map((item) => {
    if (item.role !== 'assistant' || item.status !== 'streaming') return item;
    const { partial } = rebuildPartialAnswer(events, item.id);
    if (!partial || partial.content.length < item.content.length) return item;
    return { ...item, content: partial.content, next_chunk_index: partial.nextChunkIndex };
  });
}
