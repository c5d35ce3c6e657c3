/**
 * Table shapes as Kysely sees them. Shared by both dialects: timestamps are ISO-8601 strings,
 * JSON values are stored as text, integers fit in 32 bits (PostgreSQL `integer` comes back as a
 * JavaScript number). Only the knowledge search structures differ per dialect, and those are
 * reached through raw SQL in the two KnowledgeIndex implementations.
 */
import type { Generated } from 'kysely';

export interface TenantsTable {
  id: string;
  name: string;
  publishable_key: string;
  secret_key_hash: string;
  /** JSON of TenantSettings (merged over the defaults when read). */
  settings: string;
  created_at: string;
}

export interface ChatsTable {
  id: string;
  tenant_id: string;
  session_id: string | null;
  visitor_id: string | null;
  title: string;
  channel: string | null;
  status: 'active' | 'closed';
  /** JSON object. */
  context: string;
  /** Highest event seq handed out by reserveSeqBlock (hi/lo allocation). */
  seq_ceiling: number;
  created_at: string;
  updated_at: string;
}

export interface MessagesTable {
  id: string;
  tenant_id: string;
  chat_id: string;
  role: 'user' | 'assistant';
  content: string;
  status: 'complete' | 'streaming' | 'stopped' | 'interrupted' | 'error';
  client_message_id: string | null;
  reply_to: string | null;
  /** JSON array of Source. */
  sources: string;
  model: string | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  response_time_ms: number | null;
  lease_owner: string | null;
  lease_expires_at: string | null;
  created_at: string;
  completed_at: string | null;
}

export interface DocumentsTable {
  id: string;
  tenant_id: string;
  external_id: string | null;
  title: string;
  url: string | null;
  source_type: 'markdown' | 'text' | 'html' | 'pdf';
  content_hash: string;
  chunk_count: number;
  /** Normalised source text (UpsertDocumentInput.content); never selected by list/get. */
  content: string | null;
  created_at: string;
  updated_at: string;
}

export interface KnowledgeChunksTable {
  /** Surrogate integer key: the FTS5 rowid on SQLite. Never read on PostgreSQL. */
  seq: Generated<number>;
  tenant_id: string;
  document_id: string;
  chunk_id: string;
  position: number;
  /** Denormalised from the document so a search needs no join and the title can be weighted. */
  title: string;
  url: string | null;
  heading: string | null;
  text: string;
}

/** Tokens spent per UTC day by a visitor or a whole tenant (migration 0003). */
export interface TokenRevocationsTable {
  tenant_id: string;
  /** The revoked `sub`; '' for every token of the tenant. */
  subject: string;
  /** Seconds since the epoch; bigint on PostgreSQL (read back as a string): convert with Number(). */
  revoked_before: number | string;
  updated_at: string;
}

export interface TokenUsageTable {
  tenant_id: string;
  scope: 'visitor' | 'tenant';
  /** The visitor's sub; '' for the tenant's total. */
  subject: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  /** bigint on PostgreSQL (read back as a string): convert with Number(). */
  tokens: number | string;
}

export interface StoreDatabase {
  tenants: TenantsTable;
  token_usage: TokenUsageTable;
  token_revocations: TokenRevocationsTable;
  chats: ChatsTable;
  messages: MessagesTable;
  documents: DocumentsTable;
  knowledge_chunks: KnowledgeChunksTable;
}
