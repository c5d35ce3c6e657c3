/**
 * Daily token budgets, per visitor and per tenant. A budget is checked before a model call (the
 * call is refused once the day's count has reached it) and counted after it, with the tokens the
 * engine reported (or the estimate of answer-generation.ts). The day is the UTC day of the
 * injectable clock; the counts live in the database (store/token-usage-repository.ts says why), so
 * every node sees the same count.
 *
 * A call that starts under the budget may end over it (the tokens are only known afterwards); the
 * next call is refused. That overshoot is at most one answer per concurrent call.
 */
import { AppError } from '../base/errors.ts';
import type { Clock } from '../base/clock.ts';
import type { PlatformMetrics } from '../observability/platform-metrics.ts';
import type { Store, TenantRecord } from '../store/store.ts';

const DAY_MS = 86_400_000;

export interface BudgetDefaults {
  /** TOKEN_BUDGET_VISITOR_DAILY; 0: unlimited. */
  visitorDaily: number;
  /** TOKEN_BUDGET_TENANT_DAILY; 0: unlimited. */
  tenantDaily: number;
}

/** The UTC day of `ms` as YYYY-MM-DD. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Whole seconds from `ms` to the next UTC midnight (at least 1). */
export function secondsToNextUtcDay(ms: number): number {
  const next = (Math.floor(ms / DAY_MS) + 1) * DAY_MS;
  return Math.max(1, Math.ceil((next - ms) / 1000));
}

export class DailyTokenBudgets {
  constructor(
    private readonly deps: { store: Store; defaults: BudgetDefaults; clock: Clock; metrics?: PlatformMetrics },
  ) {}

  /** The tenant's daily budgets, its settings over the environment defaults (0: unlimited). */
  limits(tenant: TenantRecord): { visitor: number; tenant: number } {
    const { settings } = tenant;
    return {
      visitor: settings.visitorDailyTokenBudget ?? this.deps.defaults.visitorDaily,
      tenant: settings.tenantDailyTokenBudget ?? this.deps.defaults.tenantDaily,
    };
  }

  /** Throws budget_exceeded (retry_after: seconds to the next UTC day) when a budget is spent. */
  async check(tenant: TenantRecord, visitorId: string | null): Promise<void> {
    const limits = this.limits(tenant);
    const perVisitor = limits.visitor > 0 && visitorId !== null;
    if (!perVisitor && limits.tenant <= 0) return;
    const now = this.deps.clock.now();
    const used = await this.deps.store.tokenUsage.usage(tenant.id, perVisitor ? visitorId : null, utcDay(now));
    const retryAfter = secondsToNextUtcDay(now);
    if (limits.tenant > 0 && used.tenant >= limits.tenant) {
      this.deps.metrics?.budgetRejected('tenant_tokens');
      throw new AppError('budget_exceeded', "The site's daily token budget is spent; try again tomorrow (UTC)", { retryAfter });
    }
    if (perVisitor && used.visitor >= limits.visitor) {
      this.deps.metrics?.budgetRejected('visitor_tokens');
      throw new AppError('budget_exceeded', 'Your daily token budget is spent; try again tomorrow (UTC)', { retryAfter });
    }
  }

  /** Counts the tokens of a finished model call for the visitor and the tenant. */
  record(tenant: TenantRecord, visitorId: string | null, tokens: number): Promise<void> {
    return this.deps.store.tokenUsage.add(tenant.id, visitorId, utcDay(this.deps.clock.now()), tokens);
  }
}
