/**
 * Cost control in front of every model call (answer-generation.ts): the tenant's cap on calls at
 * once, then the daily token budgets; after the call its tokens are counted. Either refusal is a
 * typed failure of the answer (model_busy, budget_exceeded with retry_after), which ends like any
 * other failed answer: an `error` frame and a terminal `response_complete` (answer-end.ts).
 */
import type { Clock } from '../base/clock.ts';
import type { PlatformConfig } from '../base/config.ts';
import type { Logger } from '../base/logger.ts';
import type { PlatformMetrics } from '../observability/platform-metrics.ts';
import type { Store, TenantRecord } from '../store/store.ts';
import { DailyTokenBudgets } from './daily-token-budgets.ts';
import { TenantModelCallCap } from './tenant-model-call-cap.ts';

/** A model call let through: count its tokens, then give its slot back. */
export interface ModelCallAdmission {
  /** Counts the call's tokens against the budgets; never rejects (a failure is logged). */
  record(tokens: number): Promise<void>;
  /** Frees the call's slot; idempotent. */
  release(): void;
}

export class ModelCallGate {
  constructor(private readonly deps: { budgets: DailyTokenBudgets; cap: TenantModelCallCap; logger: Logger }) {}

  /** Throws budget_exceeded when a daily budget of the visitor or tenant is spent (the REST pre-check). */
  checkBudget(tenant: TenantRecord, visitorId: string | null): Promise<void> {
    return this.deps.budgets.check(tenant, visitorId);
  }

  /** Waits for a slot of the tenant, then checks the budgets; the admission, or a typed rejection. */
  async admit(tenant: TenantRecord, visitorId: string | null, signal: AbortSignal): Promise<ModelCallAdmission> {
    const release = await this.deps.cap.acquire(tenant, signal);
    try {
      await this.deps.budgets.check(tenant, visitorId);
    } catch (error) {
      release();
      throw error;
    }
    return {
      record: (tokens) =>
        this.deps.budgets
          .record(tenant, visitorId, tokens)
          .catch((error: unknown) => this.deps.logger.warn({ err: error, tenantId: tenant.id }, 'could not count the tokens of an answer')),
      release,
    };
  }
}

/** The gate as the platform configures it: budgets and cap from the tenant's settings over these defaults. */
export function createModelCallGate(
  config: Pick<PlatformConfig, 'tokenBudgetVisitorDaily' | 'tokenBudgetTenantDaily' | 'modelCallsPerTenant' | 'modelCallWaitMs'>,
  deps: { store: Store; clock: Clock; logger: Logger; metrics?: PlatformMetrics },
): ModelCallGate {
  const metrics = deps.metrics ? { metrics: deps.metrics } : {};
  return new ModelCallGate({
    budgets: new DailyTokenBudgets({
      store: deps.store,
      defaults: { visitorDaily: config.tokenBudgetVisitorDaily, tenantDaily: config.tokenBudgetTenantDaily },
      clock: deps.clock,
      ...metrics,
    }),
    cap: new TenantModelCallCap({ defaultCap: config.modelCallsPerTenant, waitMs: config.modelCallWaitMs, clock: deps.clock, ...metrics }),
    logger: deps.logger,
  });
}
