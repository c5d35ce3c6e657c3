import type { TenantRecord } from '../../store/store.ts';
import { enforceRateLimit } from './enforce-rate-limit.ts';
import type { RateLimiter } from './rate-limiter.ts';

const HOUR = 3_600_000;

/**
 * Counts one new chat for the client address against the tenant's chats-per-hour limit (REST and
 * WebSocket share the count); throws AppError rate_limited when it is reached. Call it only when a
 * chat is really created, never when one is resumed.
 */
export function enforceChatCreationLimit(deps: { rateLimiter: RateLimiter }, tenant: TenantRecord, clientAddress: string): Promise<void> {
  return enforceRateLimit(deps.rateLimiter, `chat-create:${tenant.id}:${clientAddress}`, tenant.settings.rateLimits.chatsPerHour, HOUR);
}
