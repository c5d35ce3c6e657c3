/**
 * Erasure of one visitor (`sub`) of one tenant, across every store the platform keeps visitor data
 * in, with a receipt of what was deleted:
 *
 * - database: the visitor's chats, their messages (user and assistant), its token-usage rows;
 * - event log: the retained events of those chats (in-process), or every Redis key of those chats
 *   (event stream, seq counter, delivered answer ends);
 * - search index: holds the tenant's knowledge documents only, never visitor text: 0, always;
 * - webhooks queue: the platform has none yet: 0, reported so a receipt reader knows it was looked at.
 *
 * Answers still running in those chats are stopped first, so they do not write again after the
 * rows are gone. Only the tenant's own chats are touched: the sub of another tenant is another
 * visitor. Erasing twice is harmless (the second receipt counts zeros).
 */
import type { ChatEventLog } from '../backend/events/chat-event-log.ts';
import type { Store } from '../store/store.ts';
import type { ChatService } from './chat-service.ts';
import { deleteChatEvents } from './delete-chat-events.ts';

export interface ErasureReceipt {
  tenant_id: string;
  sub: string;
  erased_at: string;
  chat_ids: string[];
  deleted: {
    database: { chats: number; messages: number; token_usage: number };
    event_log: { chats: number; entries: number; kind: 'in-process' | 'redis' | 'none' };
    search_index: { entries: number; note: string };
    webhooks_queue: { entries: number; note: string };
  };
}

export interface VisitorErasureDeps {
  store: Store;
  eventLog: ChatEventLog;
  chats: Pick<ChatService, 'stopGeneration'>;
}

export async function eraseVisitor(deps: VisitorErasureDeps, tenantId: string, sub: string): Promise<ErasureReceipt> {
  const chatIds = await deps.store.privacy.chatIdsOfVisitor(tenantId, sub);
  for (const chatId of chatIds) deps.chats.stopGeneration(tenantId, chatId, null);
  const rows = await deps.store.privacy.deleteChats(tenantId, chatIds);
  const tokenUsage = await deps.store.privacy.deleteVisitorUsage(tenantId, sub);
  const events = await deleteChatEvents(deps.eventLog, tenantId, chatIds);
  return {
    tenant_id: tenantId,
    sub,
    erased_at: new Date().toISOString(),
    chat_ids: chatIds,
    deleted: {
      database: { chats: rows.chats, messages: rows.messages, token_usage: tokenUsage },
      event_log: { chats: chatIds.length, entries: events.entries, kind: events.kind },
      search_index: { entries: 0, note: 'the search index holds knowledge documents only, no visitor text' },
      webhooks_queue: { entries: 0, note: 'the platform has no webhooks queue' },
    },
  };
}
