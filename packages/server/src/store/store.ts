/**
 * The database seam. Application code talks to these repositories only; the SQL behind them is
 * written once with Kysely and runs on SQLite (embedded default) and PostgreSQL (scaled setup).
 * Every method that touches tenant data takes the tenant id first: a query without a tenant
 * filter is a bug.
 */
import type { MessageStatus, Source } from '@miptech/protocol';
import type { PrivacyRepository } from './privacy-repository.ts';
import type { TokenUsageRepository } from './token-usage-repository.ts';
import type { TokenRevocationRepository } from './token-revocation-repository.ts';

export interface TenantRateLimits {
  /** User messages per minute per connection/visitor. */
  messagesPerMinute: number;
  /** REST requests per minute per client address. */
  requestsPerMinute: number;
  /** New chats per hour per client address (anonymous widget abuse guard). */
  chatsPerHour: number;
}

export interface TenantLlmSettings {
  model?: string;
  systemPrompt?: string;
  temperature?: number;
  maxTokens?: number;
}

export interface TenantSettings {
  allowedOrigins: string[];
  /** Allow joins without a token from an allowed browser Origin (the live website widget). */
  anonymousWidget: boolean;
  assistantName: string;
  greeting: string;
  primaryColor: string;
  position: 'bottom-right' | 'bottom-left';
  language: string;
  rateLimits: TenantRateLimits;
  llm: TenantLlmSettings;
  /** Chats with no activity for this many days are purged (chat/retention-purge.ts); null keeps them. */
  retentionDays?: number | null;
  /** Tokens one visitor may spend per UTC day; null: the TOKEN_BUDGET_VISITOR_DAILY default; 0: unlimited. */
  visitorDailyTokenBudget?: number | null;
  /** Tokens the whole tenant may spend per UTC day; null: the TOKEN_BUDGET_TENANT_DAILY default; 0: unlimited. */
  tenantDailyTokenBudget?: number | null;
  /** Model calls of the tenant at once on one node; null: the MODEL_CALLS_PER_TENANT default; 0: no cap. */
  maxConcurrentModelCalls?: number | null;
}

export interface TenantRecord {
  id: string;
  name: string;
  /** `pk_…`: safe to put in a web page; only exchanges for a short-lived visitor token. */
  publishableKey: string;
  /** SHA-256 hex of the `sk_…` admin key; the key itself is shown once at creation. */
  secretKeyHash: string;
  settings: TenantSettings;
  createdAt: string;
}

export interface ChatRecord {
  id: string;
  tenantId: string;
  sessionId: string | null;
  /** JWT `sub` (or anonymous visitor id) that owns the chat; null for operator-created chats. */
  visitorId: string | null;
  title: string;
  channel: string | null;
  status: 'active' | 'closed';
  context: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

export interface MessageRecord {
  id: string;
  tenantId: string;
  chatId: string;
  role: 'user' | 'assistant';
  content: string;
  status: MessageStatus;
  clientMessageId: string | null;
  /** For an assistant message, the user message it answers. */
  replyTo: string | null;
  sources: Source[];
  model: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  responseTimeMs: number | null;
  /** Node generating a `streaming` message and until when its lease holds (crash detection). */
  leaseOwner: string | null;
  leaseExpiresAt: string | null;
  createdAt: string;
  completedAt: string | null;
}

export interface CreateTenantInput {
  id: string;
  name?: string;
  settings?: Partial<TenantSettings>;
}

export interface CreatedTenant {
  tenant: TenantRecord;
  /** The admin key in clear text: returned once, never stored. */
  secretKey: string;
}

export interface TenantRepository {
  get(tenantId: string): Promise<TenantRecord | null>;
  list(): Promise<TenantRecord[]>;
  create(input: CreateTenantInput): Promise<CreatedTenant>;
  updateSettings(tenantId: string, patch: Partial<TenantSettings>): Promise<TenantRecord>;
  findByPublishableKey(publishableKey: string): Promise<TenantRecord | null>;
  /** Resolves a tenant from its clear `sk_…` key (hash compared in constant time). */
  findBySecretKey(secretKey: string): Promise<TenantRecord | null>;
}

export interface CreateChatInput {
  sessionId: string | null;
  visitorId: string | null;
  title?: string;
  channel?: string | null;
  context?: Record<string, unknown>;
}

export interface ChatRepository {
  /**
   * Creates the chat, or returns the existing one for `(tenant, sessionId)`.
   * `created` tells which. Safe under concurrent calls with the same session id.
   */
  createOrGet(tenantId: string, input: CreateChatInput): Promise<{ chat: ChatRecord; created: boolean }>;
  get(tenantId: string, chatId: string): Promise<ChatRecord | null>;
  /** The chat of `(tenant, sessionId)`, if any (resuming is not creating: the creation limit skips it). */
  findBySession(tenantId: string, sessionId: string): Promise<ChatRecord | null>;
  /**
   * Hi/lo allocation of per-chat event sequence numbers that stay increasing across restarts:
   * atomically moves the chat's reserved ceiling up by `blockSize` and returns the old ceiling
   * (the first seq of the new block is old ceiling + 1).
   */
  reserveSeqBlock(tenantId: string, chatId: string, blockSize: number): Promise<number>;
  /**
   * The chat's reserved ceiling as it stands (0 for a new chat): every seq at or below it may
   * have been issued. A read, for a node that only needs to know where its window starts (a
   * join), where reserveSeqBlock would write. Throws chat_not_found.
   */
  seqCeiling(tenantId: string, chatId: string): Promise<number>;
}

export interface InsertUserMessageInput {
  chatId: string;
  content: string;
  clientMessageId: string | null;
}

export interface StartAssistantMessageInput {
  chatId: string;
  replyTo: string;
  leaseOwner: string;
  leaseExpiresAt: string;
}

export interface FinishAssistantMessageInput {
  content: string;
  status: Exclude<MessageStatus, 'streaming'>;
  sources: Source[];
  model: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  responseTimeMs: number | null;
}

export interface MessageRepository {
  /**
   * Commits a user message. With a client message id already stored for this chat, returns the
   * stored one with `duplicate: true` and writes nothing.
   */
  insertUser(tenantId: string, input: InsertUserMessageInput): Promise<{ message: MessageRecord; duplicate: boolean }>;
  /** Inserts the assistant message as `streaming` with a lease, before the first token. */
  startAssistant(tenantId: string, input: StartAssistantMessageInput): Promise<MessageRecord>;
  /**
   * Stores the final state of a `streaming` message. The first terminal state wins: when the
   * message is no longer streaming (the lease sweeper got there first), nothing changes and the
   * stored message is returned, so compare its status with the one you asked for.
   */
  finishAssistant(tenantId: string, messageId: string, input: FinishAssistantMessageInput): Promise<MessageRecord>;
  /**
   * Extends the lease of a streaming message (called while generating). With `owner`, only while
   * that owner still holds it (a lease sweeper that took the message over owns it from then on).
   * Resolves true when the lease was extended, false when the message is no longer streaming or,
   * with `owner`, is held by someone else.
   */
  renewLease(tenantId: string, messageId: string, leaseExpiresAt: string, owner?: string): Promise<boolean>;
  /** The assistant message that answers `userMessageId`, if any. */
  findReply(tenantId: string, userMessageId: string): Promise<MessageRecord | null>;
  get(tenantId: string, messageId: string): Promise<MessageRecord | null>;
  /** Newest first when paging backwards: returns `limit` messages created before `before` (a message id), oldest first in the page. */
  list(tenantId: string, chatId: string, options: { limit: number; before?: string | null }): Promise<{ items: MessageRecord[]; hasMore: boolean }>;
  /** The last `limit` complete messages of a chat, oldest first (conversation context for the engine). */
  recent(tenantId: string, chatId: string, limit: number): Promise<MessageRecord[]>;
  /**
   * The same messages as `recent`, with only what an engine's conversation history needs. Read
   * before every answer's first token: it skips the stored content of other columns (an
   * assistant message's source list is the largest) and parsing it.
   */
  recentTurns(tenantId: string, chatId: string, limit: number): Promise<ConversationMessage[]>;
  /**
   * Streaming messages whose lease expired before `now`, across tenants: used by the lease sweeper
   * only (it then calls finishAssistant with the message's own tenant id).
   */
  findExpiredStreaming(now: string, limit: number): Promise<MessageRecord[]>;
  /**
   * Takes over a streaming message whose lease expired before `now` (its node died): sets the
   * lease to `leaseOwner`/`leaseExpiresAt` only if the message is still `streaming` and its lease
   * still expired. A conditional update, so of several sweepers exactly one gets the message back;
   * the others get null. The claimer then finishes it with finishAssistant.
   */
  claimExpiredStreaming(
    tenantId: string,
    messageId: string,
    claim: { now: string; leaseOwner: string; leaseExpiresAt: string },
  ): Promise<MessageRecord | null>;
}

/** A message as conversation history: who said what. */
export type ConversationMessage = Pick<MessageRecord, 'id' | 'role' | 'content'>;

export interface DatabaseHealth {
  ready: boolean;
  code?: 'db_not_ready' | 'schema_unavailable';
  detail?: string;
}

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  readonly tenants: TenantRepository;
  readonly chats: ChatRepository;
  readonly messages: MessageRepository;
  readonly documents: DocumentRepository;
  /** Retention, visitor erasure and export (privacy-repository.ts). */
  readonly privacy: PrivacyRepository;
  /** Daily token counts of the budgets (token-usage-repository.ts). */
  readonly tokenUsage: TokenUsageRepository;
  /** Token revocations by tenant and `sub` (token-revocation-repository.ts). */
  readonly tokenRevocations: TokenRevocationRepository;
  health(): Promise<DatabaseHealth>;
  close(): Promise<void>;
}

export type DocumentSourceType = 'markdown' | 'text' | 'html' | 'pdf';

export interface DocumentRecord {
  id: string;
  tenantId: string;
  /** Caller's stable key for upserts: a URL for crawled pages, a file path or name for uploads. */
  externalId: string | null;
  title: string;
  url: string | null;
  sourceType: DocumentSourceType;
  /** SHA-256 hex of the normalised text: a re-import with the same hash changes nothing. */
  contentHash: string;
  chunkCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface UpsertDocumentInput {
  externalId: string | null;
  title: string;
  url: string | null;
  sourceType: DocumentSourceType;
  contentHash: string;
  chunkCount: number;
  /**
   * The normalised text (Markdown) the chunks were made from. Kept so `POST /admin/reindex` can
   * chunk and index the document again without the original file. Optional: a store that does
   * not keep it makes re-indexing skip the document.
   */
  content?: string;
}

export interface DocumentRepository {
  /** Inserts, or updates the document with the same externalId; `changed` is false when the hash is unchanged. */
  upsert(tenantId: string, input: UpsertDocumentInput): Promise<{ document: DocumentRecord; changed: boolean }>;
  get(tenantId: string, documentId: string): Promise<DocumentRecord | null>;
  findByExternalId(tenantId: string, externalId: string): Promise<DocumentRecord | null>;
  list(tenantId: string, options: { limit: number; offset: number }): Promise<{ items: DocumentRecord[]; total: number }>;
  /** The `content` last stored with the document; null when absent or when the store keeps none (see UpsertDocumentInput.content). */
  getContent?(tenantId: string, documentId: string): Promise<string | null>;
  /** Removes the row (the caller also removes it from the KnowledgeIndex); false when absent. */
  remove(tenantId: string, documentId: string): Promise<boolean>;
}
