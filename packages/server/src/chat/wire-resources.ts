/** Store records → the REST resources of the wire contract (snake_case). */
import type { ChatResource, MessageResource, ResponseCompleteData } from '@miptech/protocol';
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

/**
 * The terminal `response_complete` of a finished assistant message, rebuilt from its stored row
 * (a catch-up for a client that missed the live one). Marked `catch_up: true`.
 */
export function toStoredResponseComplete(message: MessageRecord): ResponseCompleteData {
  const promptTokens = message.promptTokens ?? 0;
  const completionTokens = message.completionTokens ?? 0;
  return {
    message_id: message.id,
    user_message_id: message.replyTo ?? '',
    chat_id: message.chatId,
    content: message.content,
    role: 'assistant',
    status: message.status,
    sources: message.sources,
    llm_model: message.model ?? 'unknown',
    prompt_tokens: promptTokens,
    completion_tokens: completionTokens,
    total_tokens: promptTokens + completionTokens,
    response_time_ms: message.responseTimeMs ?? 0,
    created_at: message.createdAt,
    message: { id: message.id, role: 'assistant', content: message.content, created_at: message.createdAt },
    catch_up: true,
  };
}
