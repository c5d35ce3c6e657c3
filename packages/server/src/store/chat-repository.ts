import type { Kysely, Selectable } from 'kysely';
import { AppError } from '../base/errors.ts';
import { tenantNotFoundOnForeignKey } from './constraint-violation.ts';
import type { ChatsTable, StoreDatabase } from './database-schema.ts';
import { newId } from './ids.ts';
import { isPlainObject, parseJsonColumn } from './json-column.ts';
import { prepareQuery } from './prepared-query.ts';
import type { ChatRecord, ChatRepository, CreateChatInput } from './store.ts';

const DEFAULT_TITLE = 'New chat';

export function toChat(row: Selectable<ChatsTable>): ChatRecord {
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
  // The statements of every chat creation, join and seq block, compiled once (prepared-query.ts).
  private readonly insertChat;
  private readonly chatBySession;
  private readonly chatById;
  private readonly addToSeqCeiling;
  private readonly seqCeilingOf;

  constructor(private readonly db: Kysely<StoreDatabase>) {
    type NewChat = {
      id: string;
      tenantId: string;
      sessionId: string | null;
      visitorId: string | null;
      title: string;
      channel: string | null;
      context: string;
      now: string;
    };
    this.insertChat = prepareQuery(db, (p: NewChat) =>
      db
        .insertInto('chats')
        .values({
          id: p.id,
          tenant_id: p.tenantId,
          session_id: p.sessionId,
          visitor_id: p.visitorId,
          title: p.title,
          channel: p.channel,
          status: 'active',
          context: p.context,
          seq_ceiling: 0,
          created_at: p.now,
          updated_at: p.now,
        })
        .onConflict((conflict) => conflict.columns(['tenant_id', 'session_id']).doNothing())
        .returningAll(),
    );
    this.chatBySession = prepareQuery(db, (p: { tenantId: string; sessionId: string }) =>
      db.selectFrom('chats').selectAll().where('tenant_id', '=', p.tenantId).where('session_id', '=', p.sessionId),
    );
    this.chatById = prepareQuery(db, (p: { tenantId: string; chatId: string }) =>
      db.selectFrom('chats').selectAll().where('tenant_id', '=', p.tenantId).where('id', '=', p.chatId),
    );
    this.addToSeqCeiling = prepareQuery(db, (p: { tenantId: string; chatId: string; blockSize: number }) =>
      db
        .updateTable('chats')
        .set((eb) => ({ seq_ceiling: eb('seq_ceiling', '+', p.blockSize) }))
        .where('tenant_id', '=', p.tenantId)
        .where('id', '=', p.chatId)
        .returning('seq_ceiling'),
    );
    this.seqCeilingOf = prepareQuery(db, (p: { tenantId: string; chatId: string }) =>
      db.selectFrom('chats').select('seq_ceiling').where('tenant_id', '=', p.tenantId).where('id', '=', p.chatId),
    );
  }

  async createOrGet(tenantId: string, input: CreateChatInput): Promise<{ chat: ChatRecord; created: boolean }> {
    const now = new Date().toISOString();
    // Insert-or-nothing, then re-read: under concurrent calls with one session id exactly one
    // insert wins on the unique (tenant_id, session_id) constraint and every caller gets its row.
    const { rows } = await this.insertChat
      .execute({
        id: newId('chat'),
        tenantId,
        sessionId: input.sessionId,
        visitorId: input.visitorId,
        title: input.title ?? DEFAULT_TITLE,
        channel: input.channel ?? null,
        context: JSON.stringify(input.context ?? {}),
        now,
      })
      .catch(tenantNotFoundOnForeignKey);
    const inserted = rows[0];
    if (inserted) return { chat: toChat(inserted), created: true };
    const existing = input.sessionId === null ? null : await this.findBySession(tenantId, input.sessionId);
    // Only reachable if the winning row was deleted between the two statements.
    if (!existing) throw new AppError('conflict', 'Chat for this session changed concurrently; retry');
    return { chat: existing, created: false };
  }

  async findBySession(tenantId: string, sessionId: string): Promise<ChatRecord | null> {
    const { rows } = await this.chatBySession.execute({ tenantId, sessionId });
    return rows[0] ? toChat(rows[0]) : null;
  }

  async get(tenantId: string, chatId: string): Promise<ChatRecord | null> {
    const { rows } = await this.chatById.execute({ tenantId, chatId });
    return rows[0] ? toChat(rows[0]) : null;
  }

  async reserveSeqBlock(tenantId: string, chatId: string, blockSize: number): Promise<number> {
    if (!Number.isSafeInteger(blockSize) || blockSize < 1) throw new RangeError(`blockSize must be a positive integer, got ${blockSize}`);
    // One UPDATE … RETURNING: atomic on both dialects, so two nodes never get overlapping blocks.
    const { rows } = await this.addToSeqCeiling.execute({ tenantId, chatId, blockSize });
    if (!rows[0]) throw new AppError('chat_not_found');
    return Number(rows[0].seq_ceiling) - blockSize;
  }

  async seqCeiling(tenantId: string, chatId: string): Promise<number> {
    const { rows } = await this.seqCeilingOf.execute({ tenantId, chatId });
    if (!rows[0]) throw new AppError('chat_not_found');
    return Number(rows[0].seq_ceiling);
  }
}
