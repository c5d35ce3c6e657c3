/**
 * Token revocations in the database, so every node (PostgreSQL) and every restart sees them:
 * a tenant-wide moment (subject '') and per-`sub` moments; tokens issued before are refused
 * (auth/token-revocations.ts caches them per node).
 */
import { sql, type Kysely } from 'kysely';
import type { StoreDatabase } from './database-schema.ts';

/** The revocation moments of one tenant, in seconds since the epoch. */
export interface TenantRevocations {
  /** Every token of the tenant issued before this is revoked; null: none. */
  allBefore: number | null;
  /** Per `sub`: its tokens issued before this are revoked. */
  bySubject: ReadonlyMap<string, number>;
}

export interface TokenRevocationRepository {
  /** Revokes the tenant's tokens (of `subject` only, when given) issued before `beforeSeconds`; never moves a moment back. */
  revoke(tenantId: string, subject: string | null, beforeSeconds: number): Promise<number>;
  forTenant(tenantId: string): Promise<TenantRevocations>;
}

const ALL = '';

export class SqlTokenRevocationRepository implements TokenRevocationRepository {
  constructor(private readonly db: Kysely<StoreDatabase>) {}

  async revoke(tenantId: string, subject: string | null, beforeSeconds: number): Promise<number> {
    const key = subject ?? ALL;
    const row = await this.db
      .insertInto('token_revocations')
      .values({ tenant_id: tenantId, subject: key, revoked_before: beforeSeconds, updated_at: new Date().toISOString() })
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'subject']).doUpdateSet({
          // The larger moment wins: a revocation never un-revokes tokens.
          revoked_before: sql`case when excluded.revoked_before > token_revocations.revoked_before then excluded.revoked_before else token_revocations.revoked_before end`,
          updated_at: (eb) => eb.ref('excluded.updated_at'),
        }),
      )
      .returning('revoked_before')
      .executeTakeFirstOrThrow();
    return Number(row.revoked_before);
  }

  async forTenant(tenantId: string): Promise<TenantRevocations> {
    const rows = await this.db.selectFrom('token_revocations').select(['subject', 'revoked_before']).where('tenant_id', '=', tenantId).execute();
    let allBefore: number | null = null;
    const bySubject = new Map<string, number>();
    for (const row of rows) {
      if (row.subject === ALL) allBefore = Number(row.revoked_before);
      else bySubject.set(row.subject, Number(row.revoked_before));
    }
    return { allBefore, bySubject };
  }
}
