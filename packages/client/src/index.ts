export { createChatClient } from './chat-client.ts';
export type { ChatClient, SentMessage, SnapshotListener, ServerFrameListener } from './chat-client.ts';
export type {
  ChatClientOptions,
  EventTargetLike,
  LifecycleEnvironment,
  ReconnectOptions,
  StorageLike,
  TimerHandle,
  TimersLike,
  WebSocketConstructorLike,
  WebSocketLike,
} from './chat-client-options.ts';
export type {
  ChatError,
  ChatMessage,
  ChatMessageStatus,
  ChatSnapshot,
  ConnectionInfo,
  ConnectionState,
} from './chat-snapshot.ts';
export { ChatApiError, UndeliveredMessageError } from './chat-api-error.ts';
export type { ChatApiErrorInit } from './chat-api-error.ts';
export { MemoryStorage, SESSION_STORAGE_KEY } from './session-store.ts';
export { fullJitterDelay, backoffCeiling } from './backoff.ts';
export { canTransition } from './connection-state-machine.ts';
export { readJwtClaims } from './token-provider.ts';
export type { Source } from '@miptech/protocol';
