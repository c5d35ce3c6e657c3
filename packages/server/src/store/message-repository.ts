import type { Source } from '@miptech/protocol';
import type { Kysely, Selectable } from 'kysely';
import { AppError } from '../errors.ts';
import { isForeignKeyViolation } from './constraint-violation.ts';
import type { MessagesTable, StoreDatabase } from './database-schema.ts';
import { newId } from './ids.ts';
import { parseJsonColumn } from './json-column.ts';
import type {
  ConversationMessage,
  FinishAssistantMessageInput,
  InsertUserMessageInput,
  MessageRecord,
  MessageRepository,
  StartAssistantMessageInput,
} from './store.ts';

/**
 * Messages point at their chat through the composite foreign key (tenant_id, chat_id), so an
 * insert for a chat that does not exist in this tenant (another tenant's id included) fails on
 * it: that is the chat_not_found check, without a lookup before every insert.
 */
function chatNotFoundOnForeignKey(error: unknown): never {
  throw isForeignKeyViolation(error) ? new AppError('chat_not_found', undefined, { cause: error }) : error;
}

function toMessage(row: Selectable<MessagesTable>): MessageRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    chatId: row.chat_id,
    role: row.role,
    content: row.content,
    status: row.status,
    clientMessageId: row.client_message_id,
    replyTo: row.reply_to,
    sources: parseJsonColumn<Source[]>(row.sources, [], Array.isArray),
    model: row.model,
    promptTokens: row.prompt_tokens,
    completionTokens: row.completion_tokens,
    responseTimeMs: row.response_time_ms,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    createdAt: row.created_at,
    completedAt: row.completed_at,
  };
}

/** User and assistant messages, with idempotent user inserts and leases on streaming answers. */
export class SqlMessageRepository implements MessageRepository {
  constructor(private readonly db: Kysely<StoreDatabase>) {}

  private baseRow(tenantId: string, chatId: string) {
    return {
      id: newId('msg'),
      tenant_id: tenantId,
      chat_id: chatId,
      sources: '[]',
      model: null,
      prompt_tokens: null,
      completion_tokens: null,
      response_time_ms: null,
      created_at: new Date().toISOString(),
    };
  }

  async insertUser(tenantId: string, input: InsertUserMessageInput): Promise<{ message: MessageRecord; duplicate: boolean }> {
    const base = this.baseRow(tenantId, input.chatId);
    const inserted = await this.db
      .insertInto('messages')
      .values({
        ...base,
        role: 'user',
        content: input.content,
        status: 'complete',
        client_message_id: input.clientMessageId,
        reply_to: null,
        lease_owner: null,
        lease_expires_at: null,
        completed_at: base.created_at,
      })
      .onConflict((conflict) => conflict.columns(['tenant_id', 'chat_id', 'client_message_id']).doNothing())
      .returningAll()
      .executeTakeFirst()
      .catch(chatNotFoundOnForeignKey);
    if (inserted) return { message: toMessage(inserted), duplicate: false };
    // Only a client message id can conflict (NULLs never do), so it is set here.
    const stored = await this.db
      .selectFrom('messages')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('chat_id', '=', input.chatId)
      .where('client_message_id', '=', input.clientMessageId)
      .executeTakeFirst();
    if (!stored) throw new AppError('conflict', 'Message changed concurrently; retry');
    return { message: toMessage(stored), duplicate: true };
  }

  async startAssistant(tenantId: string, input: StartAssistantMessageInput): Promise<MessageRecord> {
    const row = await this.db
      .insertInto('messages')
      .values({
        ...this.baseRow(tenantId, input.chatId),
        role: 'assistant',
        content: '',
        status: 'streaming',
        client_message_id: null,
        reply_to: input.replyTo,
        lease_owner: input.leaseOwner,
        lease_expires_at: input.leaseExpiresAt,
        completed_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow()
      .catch(chatNotFoundOnForeignKey);
    return toMessage(row);
  }

  /**
   * The first terminal state wins: finishing a message that is no longer `streaming` (the lease
   * sweeper got there first, or it was finished already) changes nothing and returns it as stored.
   */
  async finishAssistant(tenantId: string, messageId: string, input: FinishAssistantMessageInput): Promise<MessageRecord> {
    const row = await this.db
      .updateTable('messages')
      .set({
        content: input.content,
        status: input.status,
        sources: JSON.stringify(input.sources),
        model: input.model,
        prompt_tokens: input.promptTokens,
        completion_tokens: input.completionTokens,
        response_time_ms: input.responseTimeMs,
        lease_owner: null,
        lease_expires_at: null,
        completed_at: new Date().toISOString(),
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', messageId)
      .where('status', '=', 'streaming')
      .returningAll()
      .executeTakeFirst();
    if (row) return toMessage(row);
    const stored = await this.get(tenantId, messageId);
    if (!stored) throw new AppError('message_not_found');
    return stored;
  }

  async renewLease(tenantId: string, messageId: string, leaseExpiresAt: string, owner?: string): Promise<boolean> {
    let update = this.db
      .updateTable('messages')
      .set({ lease_expires_at: leaseExpiresAt })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', messageId)
      .where('status', '=', 'streaming');
    if (owner !== undefined) update = update.where('lease_owner', '=', owner);
    const result = await update.executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async claimExpiredStreaming(
    tenantId: string,
    messageId: string,
    claim: { now: string; leaseOwner: string; leaseExpiresAt: string },
  ): Promise<MessageRecord | null> {
    const row = await this.db
      .updateTable('messages')
      .set({ lease_owner: claim.leaseOwner, lease_expires_at: claim.leaseExpiresAt })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', messageId)
      .where('status', '=', 'streaming')
      .where('lease_expires_at', '<', claim.now)
      .returningAll()
      .executeTakeFirst();
    return row ? toMessage(row) : null;
  }

  async findReply(tenantId: string, userMessageId: string): Promise<MessageRecord | null> {
    const row = await this.db
      .selectFrom('messages')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('reply_to', '=', userMessageId)
      .where('role', '=', 'assistant')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? toMessage(row) : null;
  }

  async get(tenantId: string, messageId: string): Promise<MessageRecord | null> {
    const row = await this.db
      .selectFrom('messages')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', messageId)
      .executeTakeFirst();
    return row ? toMessage(row) : null;
  }

  async list(
    tenantId: string,
    chatId: string,
    options: { limit: number; before?: string | null },
  ): Promise<{ items: MessageRecord[]; hasMore: boolean }> {
    const limit = Math.max(1, Math.floor(options.limit));
    let query = this.db
      .selectFrom('messages')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('chat_id', '=', chatId);
    // Ids sort by creation time, so "created before message X" is "id < X".
    if (options.before) query = query.where('id', '<', options.before);
    // One row more than asked tells whether an older page exists.
    const rows = await query.orderBy('id', 'desc').limit(limit + 1).execute();
    const hasMore = rows.length > limit;
    return { items: rows.slice(0, limit).reverse().map(toMessage), hasMore };
  }

  /** The complete messages of a chat, newest first, at most `limit` (callers pick the columns). */
  private completeNewestFirst(tenantId: string, chatId: string, limit: number) {
    return this.db
      .selectFrom('messages')
      .where('tenant_id', '=', tenantId)
      .where('chat_id', '=', chatId)
      .where('status', '=', 'complete')
      .orderBy('id', 'desc')
      .limit(Math.max(0, Math.floor(limit)));
  }

  async recent(tenantId: string, chatId: string, limit: number): Promise<MessageRecord[]> {
    const rows = await this.completeNewestFirst(tenantId, chatId, limit).selectAll().execute();
    return rows.reverse().map(toMessage);
  }

  async recentTurns(tenantId: string, chatId: string, limit: number): Promise<ConversationMessage[]> {
    const rows = await this.completeNewestFirst(tenantId, chatId, limit).select(['id', 'role', 'content']).execute();
    return rows.reverse();
  }

  async findExpiredStreaming(now: string, limit: number): Promise<MessageRecord[]> {
    // Deliberately across tenants (the sweeper serves the whole node); it acts per message with
    // the message's own tenant id.
    const rows = await this.db
      .selectFrom('messages')
      .selectAll()
      .where('status', '=', 'streaming')
      .where('lease_expires_at', '<', now)
      .orderBy('lease_expires_at')
      .limit(Math.max(0, Math.floor(limit)))
      .execute();
    return rows.map(toMessage);
  }
}
