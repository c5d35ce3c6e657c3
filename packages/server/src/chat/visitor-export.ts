/**
 * Everything the platform stores about one visitor (`sub`) of one tenant, as JSON: the data
 * subject's copy. Chats with every message and its metadata, and the daily token counts. The
 * event log holds nothing that is not also in these rows (its events are the same messages as
 * they streamed), and the search index holds no visitor text.
 */
import type { MessageRecord, Store } from '../store/store.ts';

function messageExport(message: MessageRecord) {
  return {
    id: message.id,
    role: message.role,
    content: message.content,
    status: message.status,
    client_message_id: message.clientMessageId,
    reply_to: message.replyTo,
    sources: message.sources,
    model: message.model,
    prompt_tokens: message.promptTokens,
    completion_tokens: message.completionTokens,
    response_time_ms: message.responseTimeMs,
    created_at: message.createdAt,
    completed_at: message.completedAt,
  };
}

export type VisitorExport = Awaited<ReturnType<typeof exportVisitor>>;

export async function exportVisitor(store: Store, tenantId: string, sub: string) {
  const records = await store.privacy.visitorRecords(tenantId, sub);
  return {
    tenant_id: tenantId,
    sub,
    exported_at: new Date().toISOString(),
    chats: records.chats.map(({ chat, messages }) => ({
      id: chat.id,
      session_id: chat.sessionId,
      title: chat.title,
      channel: chat.channel,
      status: chat.status,
      context: chat.context,
      created_at: chat.createdAt,
      updated_at: chat.updatedAt,
      messages: messages.map(messageExport),
    })),
    token_usage: records.tokenUsage,
  };
}
