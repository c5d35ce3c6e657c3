/**
 * The part of @miptech/client the widget uses. A narrow `Pick` so a scripted stand-in (dev preview)
 * can drive the UI without a server, while the types stay the SDK's own.
 */
import type { ChatClient } from '@miptech/client';

export type { ChatMessage, ChatMessageStatus, ChatSnapshot, ConnectionState } from '@miptech/client';

export type ChatClientPort = Pick<ChatClient, 'connect' | 'send' | 'stop' | 'retry' | 'close' | 'subscribe' | 'getSnapshot'>;
