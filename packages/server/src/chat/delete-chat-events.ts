/**
 * Forgets what the event log keeps of chats being deleted (retention, erasure): the log decides
 * what that is (ChatEventLog.deleteChat). A log without the operation keeps its events until its
 * own retention window drops them (minutes in process, an hour in Redis): reported as 'none'.
 */
import type { ChatEventLog } from '../backend/events/chat-event-log.ts';

export async function deleteChatEvents(
  eventLog: ChatEventLog,
  tenantId: string,
  chatIds: readonly string[],
): Promise<{ entries: number; kind: 'in-process' | 'redis' | 'none' }> {
  if (!eventLog.deleteChat) return { entries: 0, kind: 'none' };
  let entries = 0;
  for (const chatId of chatIds) entries += await eventLog.deleteChat(tenantId, chatId);
  return { entries, kind: eventLog.outlivesProcess ? 'redis' : 'in-process' };
}
