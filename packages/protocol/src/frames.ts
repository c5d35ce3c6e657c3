/**
 * WebSocket frame shapes. Every frame is a JSON object `{type, data, ...}`.
 *
 * Server frames carry an envelope (deployed-clients.md §3): `tenant_id`, `event_ts` (milliseconds,
 * strictly increasing per connection), the chat and message ids both at the top level and inside
 * `data`, and `seq` (per chat, strictly increasing, the same on every node) on chat-scoped frames.
 */
import type { ErrorCode } from './error-codes.ts';

export const PROTOCOL_VERSION = '3.2';

/** Path of the WebSocket endpoint. */
export const WS_PATH = '/api/v1/ws/chat';

export const SERVER_FRAME_TYPES = [
  'connection_established',
  'initialization_progress',
  'connection_ready',
  'chat_created',
  'chat_joined',
  'message_received',
  'processing',
  'response_start',
  'response_chunk',
  'response_complete',
  'error',
  'ping',
  'pong',
] as const;
export type ServerFrameType = (typeof SERVER_FRAME_TYPES)[number];

export const CLIENT_FRAME_TYPES = [
  'join_chat',
  'user_message',
  'chat_message',
  'stop_generation',
  'ping',
  'pong',
] as const;
export type ClientFrameType = (typeof CLIENT_FRAME_TYPES)[number];

/** Frame types that belong to one chat and therefore carry `seq` (chat events, see ChatEventFrameType). */
export const CHAT_EVENT_FRAME_TYPES = [
  'message_received',
  'processing',
  'response_start',
  'response_chunk',
  'response_complete',
  'error',
] as const satisfies readonly ServerFrameType[];
export type ChatEventFrameType = (typeof CHAT_EVENT_FRAME_TYPES)[number];

/** CHAT_EVENT_FRAME_TYPES as a set, to test a frame's type. */
export const CHAT_EVENT_TYPES: ReadonlySet<ServerFrameType> = new Set<ServerFrameType>(CHAT_EVENT_FRAME_TYPES);

export interface Source {
  title: string;
  url: string | null;
  snippet: string;
  document_id?: string;
  score?: number;
}

export type MessageRole = 'user' | 'assistant';

/**
 * `complete`: stored in full. `streaming`: being generated now. `stopped`: the visitor stopped it.
 * `interrupted`: the node generating it went away. `error`: the engine failed.
 */
export type MessageStatus = 'complete' | 'streaming' | 'stopped' | 'interrupted' | 'error';

// ---------------------------------------------------------------------------------------------
// Server → client payloads (`data` of each frame type)

export interface ConnectionEstablishedData {
  connection_id: string;
  protocol_version: string;
  server_version: string;
}
export interface InitializationProgressData {
  connection_id: string;
  stage: string;
  progress: number;
}
export interface ConnectionReadyData {
  connection_id: string;
  join_timeout_ms: number;
  heartbeat_interval_ms: number;
}
export interface ChatCreatedData {
  chat_id: string;
  session_id: string | null;
}
export interface ChatJoinedData {
  chat_id: string;
  tenant_id: string;
  /** true when the events after the client's `last_seq` were replayed without a gap. */
  resumed: boolean;
  /** Highest `seq` of the chat when the join completed (replayed events included). */
  last_seq: number;
  /** Set when the client sent `last_seq` but the retention window no longer covers it: reload history. */
  history_reload_required?: boolean;
  visitor_id?: string | null;
}
export interface MessageReceivedData {
  message_id: string;
  client_message_id: string | null;
  chat_id: string;
  role: 'user';
  content: string;
  created_at: string;
  /** true when this acknowledges a resend of a message stored earlier. */
  duplicate?: boolean;
}
export interface ProcessingData {
  message_id: string;
  user_message_id: string;
  chat_id: string;
}
export interface ResponseStartData {
  message_id: string;
  user_message_id: string;
  chat_id: string;
}
export interface ResponseChunkData {
  message_id: string;
  chat_id: string;
  content: string;
  chunk_index: number;
  /**
   * Set on the first chunk produced by another node after the node generating the answer died:
   * the answer goes on (chunk_index continues, nothing is repeated, one response_complete follows).
   * Clients that ignore it simply see the answer go on.
   */
  continued?: true;
}
export interface ResponseCompleteData {
  message_id: string;
  user_message_id: string;
  chat_id: string;
  /** The full answer: always equals the concatenation of this message's chunks. */
  content: string;
  role: 'assistant';
  status: MessageStatus;
  sources: Source[];
  llm_model: string;
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  response_time_ms: number;
  created_at: string;
  message: { id: string; role: 'assistant'; content: string; created_at: string };
  error_code?: ErrorCode;
  /**
   * Set on the copy of an earlier answer's end sent right after `chat_joined` to a client that
   * joined without `last_seq` and could not have seen it (it has no `seq`; see docs/protocol.md).
   */
  catch_up?: boolean;
}
export interface ErrorData {
  code: ErrorCode;
  message: string;
  retryable: boolean;
  retry_after?: number;
  message_id?: string;
  chat_id?: string;
  /** The stored user message the error is about (an answer that could not be started). */
  user_message_id?: string;
  /** The client's id of the user message the error is about (refused, or not answered): resend it with this id. */
  client_message_id?: string | null;
}
export interface PingData {
  ts: number;
}

export interface ServerFrameDataMap {
  connection_established: ConnectionEstablishedData;
  initialization_progress: InitializationProgressData;
  connection_ready: ConnectionReadyData;
  chat_created: ChatCreatedData;
  chat_joined: ChatJoinedData;
  message_received: MessageReceivedData;
  processing: ProcessingData;
  response_start: ResponseStartData;
  response_chunk: ResponseChunkData;
  response_complete: ResponseCompleteData;
  error: ErrorData;
  ping: PingData;
  pong: PingData;
}

export type ServerFrame<T extends ServerFrameType = ServerFrameType> = {
  [K in T]: {
    type: K;
    data: ServerFrameDataMap[K];
    tenant_id: string;
    event_ts: number;
    chat_id?: string;
    message_id?: string;
    seq?: number;
  };
}[T];

// ---------------------------------------------------------------------------------------------
// Client → server frames, after normalisation (see parse-client-frame.ts)

export interface JoinChatFrame {
  type: 'join_chat';
  chat_id: string | null;
  tenant_id: string | null;
  token: string | null;
  create: boolean;
  session_id: string | null;
  /** Resume: replay every chat event after this seq. */
  last_seq: number | null;
  channel: string | null;
}
export interface UserMessageFrame {
  /** `user_message` (guide) or `chat_message` (live widget); handled the same. */
  type: 'user_message';
  chat_id: string | null;
  text: string;
  /** The client's own id for the message: an idempotency key. */
  client_message_id: string | null;
  stream: boolean;
}
export interface StopGenerationFrame {
  type: 'stop_generation';
  chat_id: string | null;
  message_id: string | null;
}
export interface PingFrame {
  type: 'ping' | 'pong';
  ts: number | null;
}
export type ClientFrame = JoinChatFrame | UserMessageFrame | StopGenerationFrame | PingFrame;

// ---------------------------------------------------------------------------------------------
// REST resources

export interface ChatResource {
  id: string;
  chat_id: string;
  tenant_id: string;
  session_id: string | null;
  visitor_id: string | null;
  title: string;
  status: 'active' | 'closed';
  created_at: string;
  updated_at: string;
}

export interface MessageResource {
  id: string;
  chat_id: string;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  client_message_id: string | null;
  reply_to: string | null;
  sources: Source[];
  llm_model: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  response_time_ms: number | null;
  created_at: string;
  /**
   * Only on an assistant message still `streaming`: `content` is the text of its chunks
   * 0 … next_chunk_index − 1, already sent on the WebSocket, and the next chunk has this index.
   * A client that missed the start of the answer (a page reloaded mid-answer) shows `content` at
   * once and appends the live chunks from this index on.
   */
  next_chunk_index?: number;
}

export interface Page<T> {
  items: T[];
  has_more: boolean;
  /** Pass as `before` to get the next (older) page. */
  next_cursor: string | null;
}

/** Widget look and words, from `GET /api/v1/chat/config`. */
export interface WidgetConfig {
  tenant_id: string;
  assistant_name: string;
  greeting: string;
  primary_color: string;
  position: 'bottom-right' | 'bottom-left';
  language: string;
  anonymous_widget: boolean;
}

export interface WidgetTokenResponse {
  token: string;
  expires_at: number;
  visitor_id: string;
  tenant_id: string;
}
