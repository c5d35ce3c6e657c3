/**
 * Tokens spent per UTC day, by visitor and by tenant: the counters of the daily token budgets
 * (chat/daily-token-budgets.ts). Kept in the database rather than in Redis or memory because a daily budget must
 * survive a node restart and a Redis flush, must be shared by every node (PostgreSQL) and works the
 * same on the single node (SQLite); it costs one upsert per answer and one indexed read before it,
 * small next to the model call they guard.
 */
import { sql, type Kysely } from 'kysely';
import type { StoreDatabase, TokenUsageTable } from './database-schema.ts';

export interface TokenUsageRepository {
  /** Tokens spent on `day` (YYYY-MM-DD, UTC) by the visitor (null: not asked) and by the whole tenant. */
  usage(tenantId: string, visitorId: string | null, day: string): Promise<{ visitor: number; tenant: number }>;
  /** Adds `tokens` to the day's count of the tenant and, when given, of the visitor (atomic per row). */
  add(tenantId: string, visitorId: string | null, day: string, tokens: number): Promise<void>;
}

export class SqlTokenUsageRepository implements TokenUsageRepository {
  constructor(private readonly db: Kysely<StoreDatabase>) {}

  async usage(tenantId: string, visitorId: string | null, day: string): Promise<{ visitor: number; tenant: number }> {
    const rows = await this.db
      .selectFrom('token_usage')
      .select(['scope', 'tokens'])
      .where('tenant_id', '=', tenantId)
      .where('day', '=', day)
      .where((eb) =>
        eb.or([
          eb.and([eb('scope', '=', 'tenant'), eb('subject', '=', '')]),
          ...(visitorId === null ? [] : [eb.and([eb('scope', '=', 'visitor'), eb('subject', '=', visitorId)])]),
        ]),
      )
      .execute();
    const result = { visitor: 0, tenant: 0 };
    for (const row of rows) result[row.scope] = Number(row.tokens);
    return result;
  }

  async add(tenantId: string, visitorId: string | null, day: string, tokens: number): Promise<void> {
    if (!(tokens > 0)) return;
    const amount = Math.ceil(tokens);
    const rows: Array<Omit<TokenUsageTable, 'tokens'> & { tokens: number }> = [{ tenant_id: tenantId, scope: 'tenant', subject: '', day, tokens: amount }];
    if (visitorId !== null) rows.push({ tenant_id: tenantId, scope: 'visitor', subject: visitorId, day, tokens: amount });
    // INSERT … ON CONFLICT DO UPDATE: an atomic increment on both dialects, however many nodes add at once.
    await this.db
      .insertInto('token_usage')
      .values(rows)
      .onConflict((conflict) =>
        conflict.columns(['tenant_id', 'scope', 'subject', 'day']).doUpdateSet({ tokens: sql`token_usage.tokens + excluded.tokens` }),
      )
      .execute();
  }
}
