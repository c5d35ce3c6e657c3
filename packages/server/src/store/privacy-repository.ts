/**
 * The rows of visitors and of old chats, for retention, erasure and export (chat/visitor-erasure.ts, visitor-export.ts, retention-purge.ts).
 * Deleting a chat deletes its messages with it (messages_chat_fk cascades); the counts returned
 * are what was really deleted, so a receipt or a purge log never claims more than happened.
 * Knowledge documents are the tenant's own content, not visitor data: nothing here touches them.
 */
import { sql, type Kysely } from 'kysely';
import type { StoreDatabase } from './database-schema.ts';
import { toChat } from './chat-repository.ts';
import { toMessage } from './message-repository.ts';
import type { ChatRecord, MessageRecord } from './store.ts';

export interface DeletedChatRows {
  chats: number;
  messages: number;
}

export interface VisitorRecords {
  chats: Array<{ chat: ChatRecord; messages: MessageRecord[] }>;
  /** Token usage rows of the visitor (budgets), newest day first. */
  tokenUsage: Array<{ day: string; tokens: number }>;
}

export interface PrivacyRepository {
  /** Ids of the chats the visitor (`visitorId` = the token's sub) owns in this tenant. */
  chatIdsOfVisitor(tenantId: string, visitorId: string): Promise<string[]>;
  /** Everything stored about the visitor in this tenant: chats with every message, oldest first. */
  visitorRecords(tenantId: string, visitorId: string): Promise<VisitorRecords>;
  /** Deletes these chats of the tenant (ids of other tenants are ignored) with their messages. */
  deleteChats(tenantId: string, chatIds: readonly string[]): Promise<DeletedChatRows>;
  /**
   * Up to `limit` chats of the tenant with no activity since `before` (ISO time): created before it
   * and with no message created since. Oldest first.
   */
  inactiveChatIds(tenantId: string, before: string, limit: number): Promise<string[]>;
  /** Deletes the visitor's token usage rows; the number deleted. */
  deleteVisitorUsage(tenantId: string, visitorId: string): Promise<number>;
  /** Deletes the tenant's token usage rows of days before `beforeDay` (YYYY-MM-DD); the number deleted. */
  deleteUsageBefore(tenantId: string, beforeDay: string): Promise<number>;
}

/** Chat ids per DELETE statement: well under SQLite's and PostgreSQL's bound-parameter limits. */
const DELETE_BATCH = 200;

export class SqlPrivacyRepository implements PrivacyRepository {
  constructor(private readonly db: Kysely<StoreDatabase>) {}

  async chatIdsOfVisitor(tenantId: string, visitorId: string): Promise<string[]> {
    const rows = await this.db
      .selectFrom('chats')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('visitor_id', '=', visitorId)
      .orderBy('id')
      .execute();
    return rows.map((row) => row.id);
  }

  async visitorRecords(tenantId: string, visitorId: string): Promise<VisitorRecords> {
    const chatRows = await this.db
      .selectFrom('chats')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('visitor_id', '=', visitorId)
      .orderBy('created_at')
      .orderBy('id')
      .execute();
    const chats: VisitorRecords['chats'] = [];
    for (const row of chatRows) {
      const messages = await this.db
        .selectFrom('messages')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('chat_id', '=', row.id)
        .orderBy('id')
        .execute();
      chats.push({ chat: toChat(row), messages: messages.map(toMessage) });
    }
    const usage = await this.db
      .selectFrom('token_usage')
      .select(['day', 'tokens'])
      .where('tenant_id', '=', tenantId)
      .where('scope', '=', 'visitor')
      .where('subject', '=', visitorId)
      .orderBy('day', 'desc')
      .execute();
    return { chats, tokenUsage: usage.map((row) => ({ day: row.day, tokens: Number(row.tokens) })) };
  }

  async deleteChats(tenantId: string, chatIds: readonly string[]): Promise<DeletedChatRows> {
    const deleted: DeletedChatRows = { chats: 0, messages: 0 };
    for (let start = 0; start < chatIds.length; start += DELETE_BATCH) {
      const batch = chatIds.slice(start, start + DELETE_BATCH);
      // One transaction per batch: the messages are counted by deleting them explicitly (the
      // cascade would delete them too, uncounted), then their chats.
      await this.db.transaction().execute(async (trx) => {
        const messages = await trx.deleteFrom('messages').where('tenant_id', '=', tenantId).where('chat_id', 'in', batch).executeTakeFirst();
        const chats = await trx.deleteFrom('chats').where('tenant_id', '=', tenantId).where('id', 'in', batch).executeTakeFirst();
        deleted.messages += Number(messages.numDeletedRows);
        deleted.chats += Number(chats.numDeletedRows);
      });
    }
    return deleted;
  }

  async inactiveChatIds(tenantId: string, before: string, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('chats')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('created_at', '<', before)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('messages')
              .select(sql<number>`1`.as('one'))
              .where('messages.tenant_id', '=', tenantId)
              .whereRef('messages.chat_id', '=', 'chats.id')
              .where('messages.created_at', '>=', before),
          ),
        ),
      )
      .orderBy('created_at')
      .limit(limit)
      .execute();
    return rows.map((row) => row.id);
  }

  async deleteVisitorUsage(tenantId: string, visitorId: string): Promise<number> {
    const result = await this.db
      .deleteFrom('token_usage')
      .where('tenant_id', '=', tenantId)
      .where('scope', '=', 'visitor')
      .where('subject', '=', visitorId)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  async deleteUsageBefore(tenantId: string, beforeDay: string): Promise<number> {
    const result = await this.db.deleteFrom('token_usage').where('tenant_id', '=', tenantId).where('day', '<', beforeDay).executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
