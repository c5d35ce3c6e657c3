import type { Source } from '@miptech/protocol';
import type { Kysely, Selectable } from 'kysely';
import { AppError } from '../base/errors.ts';
import { isForeignKeyViolation } from './constraint-violation.ts';
import type { MessagesTable, StoreDatabase } from './database-schema.ts';
import { newId } from './ids.ts';
import { parseJsonColumn } from './json-column.ts';
import { prepareQuery } from './prepared-query.ts';
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

export function toMessage(row: Selectable<MessagesTable>): MessageRecord {
  return toMessageWithSources(row, parseJsonColumn<Source[]>(row.sources, [], Array.isArray));
}

/** A row whose sources the caller already has (it was just written with them): no JSON to parse back. */
function toMessageWithSources(row: Selectable<MessagesTable>, sources: Source[]): MessageRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    chatId: row.chat_id,
    role: row.role,
    content: row.content,
    status: row.status,
    clientMessageId: row.client_message_id,
    replyTo: row.reply_to,
    sources,
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
  // The statements of every answer, compiled once (prepared-query.ts).
  private readonly insertUserRow;
  private readonly insertAssistantRow;
  private readonly finishStreaming;
  private readonly renewLeaseOfOwner;
  private readonly renewLeaseOfAny;
  private readonly recentTurnsRows;
  private readonly newestPage;
  private readonly pageBefore;

  constructor(private readonly db: Kysely<StoreDatabase>) {
    type NewRow = { id: string; tenantId: string; chatId: string; createdAt: string };
    const baseRow = (p: NewRow) => ({
      id: p.id,
      tenant_id: p.tenantId,
      chat_id: p.chatId,
      sources: '[]',
      model: null,
      prompt_tokens: null,
      completion_tokens: null,
      response_time_ms: null,
      created_at: p.createdAt,
    });
    this.insertUserRow = prepareQuery(db, (p: NewRow & { content: string; clientMessageId: string | null }) =>
      db
        .insertInto('messages')
        .values({
          ...baseRow(p),
          role: 'user',
          content: p.content,
          status: 'complete',
          client_message_id: p.clientMessageId,
          reply_to: null,
          lease_owner: null,
          lease_expires_at: null,
          completed_at: p.createdAt,
        })
        .onConflict((conflict) => conflict.columns(['tenant_id', 'chat_id', 'client_message_id']).doNothing())
        .returningAll(),
    );
    this.insertAssistantRow = prepareQuery(db, (p: NewRow & { replyTo: string; leaseOwner: string; leaseExpiresAt: string }) =>
      db
        .insertInto('messages')
        .values({
          ...baseRow(p),
          role: 'assistant',
          content: '',
          status: 'streaming',
          client_message_id: null,
          reply_to: p.replyTo,
          lease_owner: p.leaseOwner,
          lease_expires_at: p.leaseExpiresAt,
          completed_at: null,
        })
        .returningAll(),
    );
    type Finish = {
      tenantId: string;
      messageId: string;
      content: string;
      status: string;
      sources: string;
      model: string | null;
      promptTokens: number | null;
      completionTokens: number | null;
      responseTimeMs: number | null;
      completedAt: string;
    };
    this.finishStreaming = prepareQuery(db, (p: Finish) =>
      db
        .updateTable('messages')
        .set({
          content: p.content,
          status: p.status as MessagesTable['status'],
          sources: p.sources,
          model: p.model,
          prompt_tokens: p.promptTokens,
          completion_tokens: p.completionTokens,
          response_time_ms: p.responseTimeMs,
          lease_owner: null,
          lease_expires_at: null,
          completed_at: p.completedAt,
        })
        .where('tenant_id', '=', p.tenantId)
        .where('id', '=', p.messageId)
        .where('status', '=', 'streaming')
        .returningAll(),
    );
    type Renew = { tenantId: string; messageId: string; leaseExpiresAt: string };
    const renew = (p: Renew) =>
      db
        .updateTable('messages')
        .set({ lease_expires_at: p.leaseExpiresAt })
        .where('tenant_id', '=', p.tenantId)
        .where('id', '=', p.messageId)
        .where('status', '=', 'streaming');
    this.renewLeaseOfAny = prepareQuery(db, renew);
    this.renewLeaseOfOwner = prepareQuery(db, (p: Renew & { owner: string }) => renew(p).where('lease_owner', '=', p.owner));
    // A page of history; every join reads the newest message (chat/join-catch-up.ts, missedAnswer).
    type Page = { tenantId: string; chatId: string; rows: number };
    const page = (p: Page) =>
      db.selectFrom('messages').selectAll().where('tenant_id', '=', p.tenantId).where('chat_id', '=', p.chatId);
    this.newestPage = prepareQuery(db, (p: Page) => page(p).orderBy('id', 'desc').limit(p.rows));
    // Ids sort by creation time, so "created before message X" is "id < X".
    this.pageBefore = prepareQuery(db, (p: Page & { before: string }) =>
      page(p).where('id', '<', p.before).orderBy('id', 'desc').limit(p.rows),
    );
    this.recentTurnsRows = prepareQuery(db, (p: { tenantId: string; chatId: string; limit: number }) =>
      this.completeNewestFirst(p.tenantId, p.chatId, p.limit).select(['id', 'role', 'content']),
    );
  }

  async insertUser(tenantId: string, input: InsertUserMessageInput): Promise<{ message: MessageRecord; duplicate: boolean }> {
    const { rows } = await this.insertUserRow
      .execute({
        id: newId('msg'),
        tenantId,
        chatId: input.chatId,
        createdAt: new Date().toISOString(),
        content: input.content,
        clientMessageId: input.clientMessageId,
      })
      .catch(chatNotFoundOnForeignKey);
    const inserted = rows[0];
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
    const { rows } = await this.insertAssistantRow
      .execute({
        id: newId('msg'),
        tenantId,
        chatId: input.chatId,
        createdAt: new Date().toISOString(),
        replyTo: input.replyTo,
        leaseOwner: input.leaseOwner,
        leaseExpiresAt: input.leaseExpiresAt,
      })
      .catch(chatNotFoundOnForeignKey);
    const row = rows[0];
    if (!row) throw new Error('insert into messages returned no row');
    return toMessageWithSources(row, []);
  }

  /**
   * The first terminal state wins: finishing a message that is no longer `streaming` (the lease
   * sweeper got there first, or it was finished already) changes nothing and returns it as stored.
   */
  async finishAssistant(tenantId: string, messageId: string, input: FinishAssistantMessageInput): Promise<MessageRecord> {
    const { rows } = await this.finishStreaming.execute({
      tenantId,
      messageId,
      content: input.content,
      status: input.status,
      sources: JSON.stringify(input.sources),
      model: input.model,
      promptTokens: input.promptTokens,
      completionTokens: input.completionTokens,
      responseTimeMs: input.responseTimeMs,
      completedAt: new Date().toISOString(),
    });
    // Stored just now: the sources are the ones given (no need to parse them back).
    if (rows[0]) return toMessageWithSources(rows[0], input.sources);
    const stored = await this.get(tenantId, messageId);
    if (!stored) throw new AppError('message_not_found');
    return stored;
  }

  async renewLease(tenantId: string, messageId: string, leaseExpiresAt: string, owner?: string): Promise<boolean> {
    const result =
      owner === undefined
        ? await this.renewLeaseOfAny.execute({ tenantId, messageId, leaseExpiresAt })
        : await this.renewLeaseOfOwner.execute({ tenantId, messageId, leaseExpiresAt, owner });
    return (result.numAffectedRows ?? 0n) > 0n;
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
    // One row more than asked tells whether an older page exists.
    const { rows } = options.before
      ? await this.pageBefore.execute({ tenantId, chatId, before: options.before, rows: limit + 1 })
      : await this.newestPage.execute({ tenantId, chatId, rows: limit + 1 });
    const hasMore = rows.length > limit;
    return { items: rows.slice(0, limit).reverse().map(toMessage), hasMore };
  }

  /** The complete messages of a chat, newest first, at most `limit` (a whole number >= 0; callers pick the columns). */
  private completeNewestFirst(tenantId: string, chatId: string, limit: number) {
    return this.db
      .selectFrom('messages')
      .where('tenant_id', '=', tenantId)
      .where('chat_id', '=', chatId)
      .where('status', '=', 'complete')
      .orderBy('id', 'desc')
      .limit(limit);
  }

  async recent(tenantId: string, chatId: string, limit: number): Promise<MessageRecord[]> {
    const rows = await this.completeNewestFirst(tenantId, chatId, Math.max(0, Math.floor(limit))).selectAll().execute();
    return rows.reverse().map(toMessage);
  }

  async recentTurns(tenantId: string, chatId: string, limit: number): Promise<ConversationMessage[]> {
    const { rows } = await this.recentTurnsRows.execute({ tenantId, chatId, limit: Math.max(0, Math.floor(limit)) });
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
