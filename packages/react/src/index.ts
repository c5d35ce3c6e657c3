export { useChatSession, DEFAULT_TENANT_ID } from './use-chat-session.ts';
export type { ChatSession, UseChatSessionOptions } from './use-chat-session.ts';
export type { ChatClient, ChatMessage, ChatSnapshot, ConnectionState, ChatError, SentMessage } from '@miptech/client';
export { ChatApiError, UndeliveredMessageError, createChatClient } from '@miptech/client';
