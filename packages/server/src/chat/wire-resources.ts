/** Store records → the REST resources of the wire contract (snake_case). */
import type { ChatResource, MessageResource } from '@miptech/protocol';
import type { ChatRecord, MessageRecord } from '../store/store.ts';

export function toChatResource(chat: ChatRecord): ChatResource {
  return {
    id: chat.id,
    chat_id: chat.id,
    tenant_id: chat.tenantId,
    session_id: chat.sessionId,
    visitor_id: chat.visitorId,
    title: chat.title,
    status: chat.status,
    created_at: chat.createdAt,
    updated_at: chat.updatedAt,
  };
}

export function toMessageResource(message: MessageRecord): MessageResource {
  return {
    id: message.id,
    chat_id: message.chatId,
    role: message.role,
    content: message.content,
    status: message.status,
    client_message_id: message.clientMessageId,
    reply_to: message.replyTo,
    sources: message.sources,
    llm_model: message.model,
    prompt_tokens: message.promptTokens,
    completion_tokens: message.completionTokens,
    response_time_ms: message.responseTimeMs,
    created_at: message.createdAt,
  };
}
