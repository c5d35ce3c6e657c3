/**
 * A per-tenant cap on model calls at once, on this node: one tenant's burst cannot take every
 * provider connection (and the provider's rate limit) from the others. Over the cap an answer
 * waits in line (first come, first served) for up to `waitMs`, then fails with `model_busy`
 * (retry_after 1). Waiting briefly absorbs the usual burst (a page of visitors asking at once)
 * without failing anyone; failing after the wait keeps a visitor from watching typing dots for
 * minutes. The cap counts per node: with N nodes a tenant may run up to N × cap calls.
 */
import { AppError } from '../base/errors.ts';
import type { Clock } from '../base/clock.ts';
import type { PlatformMetrics } from '../observability/platform-metrics.ts';
import type { TenantRecord } from '../store/store.ts';

interface Waiter {
  grant(): void;
}

interface TenantSlots {
  running: number;
  waiting: Waiter[];
}

export class TenantModelCallCap {
  private readonly tenants = new Map<string, TenantSlots>();

  constructor(private readonly deps: { defaultCap: number; waitMs: number; clock: Clock; metrics?: PlatformMetrics }) {}

  /** The tenant's cap: its setting over MODEL_CALLS_PER_TENANT (0: none). */
  capOf(tenant: TenantRecord): number {
    return tenant.settings.maxConcurrentModelCalls ?? this.deps.defaultCap;
  }

  /** Model calls of the tenant running on this node. */
  running(tenantId: string): number {
    return this.tenants.get(tenantId)?.running ?? 0;
  }

  /**
   * Takes a slot of the tenant, waiting up to waitMs; resolves to the function that gives it back
   * (call it exactly once). Rejects with model_busy after the wait, or with the signal's reason
   * when the answer is stopped meanwhile.
   */
  acquire(tenant: TenantRecord, signal: AbortSignal): Promise<() => void> {
    const cap = this.capOf(tenant);
    if (cap <= 0) return Promise.resolve(() => undefined);
    let slots = this.tenants.get(tenant.id);
    if (!slots) {
      slots = { running: 0, waiting: [] };
      this.tenants.set(tenant.id, slots);
    }
    const release = this.releaser(tenant.id, slots);
    if (slots.running < cap && slots.waiting.length === 0) {
      slots.running += 1;
      return Promise.resolve(release);
    }
    const { clock } = this.deps;
    const queue = slots.waiting;
    return new Promise((resolve, reject) => {
      const leave = () => {
        clock.clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        const index = queue.indexOf(waiter);
        if (index >= 0) queue.splice(index, 1);
      };
      const waiter: Waiter = {
        grant: () => {
          leave();
          resolve(release);
        },
      };
      const onAbort = () => {
        leave();
        this.dropIfIdle(tenant.id);
        reject(signal.reason ?? new Error('aborted'));
      };
      const timer = clock.setTimeout(() => {
        leave();
        this.dropIfIdle(tenant.id);
        this.deps.metrics?.budgetRejected('concurrency');
        reject(new AppError('model_busy', undefined, { retryAfter: 1 }));
      }, this.deps.waitMs);
      timer.unref();
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
      queue.push(waiter);
    });
  }

  /** Gives the slot back once: to the first in line (the count stays), else frees it. */
  private releaser(tenantId: string, slots: TenantSlots): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = slots.waiting[0];
      if (next) {
        next.grant();
        return;
      }
      slots.running -= 1;
      this.dropIfIdle(tenantId);
    };
  }

  private dropIfIdle(tenantId: string): void {
    const slots = this.tenants.get(tenantId);
    if (slots && slots.running === 0 && slots.waiting.length === 0) this.tenants.delete(tenantId);
  }
}
