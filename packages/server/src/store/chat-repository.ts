import type { Kysely, Selectable } from 'kysely';
import { AppError } from '../errors.ts';
import { tenantNotFoundOnForeignKey } from './constraint-violation.ts';
import type { ChatsTable, StoreDatabase } from './database-schema.ts';
import { newId } from './ids.ts';
import { isPlainObject, parseJsonColumn } from './json-column.ts';
import type { ChatRecord, ChatRepository, CreateChatInput } from './store.ts';

const DEFAULT_TITLE = 'New chat';

function toChat(row: Selectable<ChatsTable>): ChatRecord {
  return {
    id: row.id,
    tenantId: row.tenant_id,
    sessionId: row.session_id,
    visitorId: row.visitor_id,
    title: row.title,
    channel: row.channel,
    status: row.status,
    context: parseJsonColumn<Record<string, unknown>>(row.context, {}, isPlainObject),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** Chats, unique per (tenant, session id), and their event sequence ceiling. */
export class SqlChatRepository implements ChatRepository {
  constructor(private readonly db: Kysely<StoreDatabase>) {}

  async createOrGet(tenantId: string, input: CreateChatInput): Promise<{ chat: ChatRecord; created: boolean }> {
    const now = new Date().toISOString();
    // Insert-or-nothing, then re-read: under concurrent calls with one session id exactly one
    // insert wins on the unique (tenant_id, session_id) constraint and every caller gets its row.
    const inserted = await this.db
      .insertInto('chats')
      .values({
        id: newId('chat'),
        tenant_id: tenantId,
        session_id: input.sessionId,
        visitor_id: input.visitorId,
        title: input.title ?? DEFAULT_TITLE,
        channel: input.channel ?? null,
        status: 'active',
        context: JSON.stringify(input.context ?? {}),
        seq_ceiling: 0,
        created_at: now,
        updated_at: now,
      })
      .onConflict((conflict) => conflict.columns(['tenant_id', 'session_id']).doNothing())
      .returningAll()
      .executeTakeFirst()
      .catch(tenantNotFoundOnForeignKey);
    if (inserted) return { chat: toChat(inserted), created: true };
    const existing = input.sessionId === null ? null : await this.findBySession(tenantId, input.sessionId);
    // Only reachable if the winning row was deleted between the two statements.
    if (!existing) throw new AppError('conflict', 'Chat for this session changed concurrently; retry');
    return { chat: existing, created: false };
  }

  async findBySession(tenantId: string, sessionId: string): Promise<ChatRecord | null> {
    const row = await this.db
      .selectFrom('chats')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('session_id', '=', sessionId)
      .executeTakeFirst();
    return row ? toChat(row) : null;
  }

  async get(tenantId: string, chatId: string): Promise<ChatRecord | null> {
    const row = await this.db
      .selectFrom('chats')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .where('id', '=', chatId)
      .executeTakeFirst();
    return row ? toChat(row) : null;
  }

  async reserveSeqBlock(tenantId: string, chatId: string, blockSize: number): Promise<number> {
    if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new RangeError(`blockSize must be a positive integer, got ${blockSize}`);
    // One UPDATE … RETURNING: atomic on both dialects, so two nodes never get overlapping blocks.
    const row = await this.db
      .updateTable('chats')
      .set((eb) => ({ seq_ceiling: eb('seq_ceiling', '+', blockSize) }))
      .where('tenant_id', '=', tenantId)
      .where('id', '=', chatId)
      .returning('seq_ceiling')
      .executeTakeFirst();
    if (!row) throw new AppError('chat_not_found');
    return Number(row.seq_ceiling) - blockSize;
  }

  async seqCeiling(tenantId: string, chatId: string): Promise<number> {
    const row = await this.db
      .selectFrom('chats')
      .select('seq_ceiling')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', chatId)
      .executeTakeFirst();
    if (!row) throw new AppError('chat_not_found');
    return Number(row.seq_ceiling);
  }
}
