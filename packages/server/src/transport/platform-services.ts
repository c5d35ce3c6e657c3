/**
 * What the REST routes and the WebSocket gateway share: built once by createPlatform and passed
 * to every route plugin as its options.
 */
import type { PlatformConfig } from '../base/config.ts';
import type { TenantDirectory } from '../auth/tenant-directory.ts';
import type { TokenService } from '../auth/token-service.ts';
import type { TokenRevocations } from '../auth/token-revocations.ts';
import type { ChatService } from '../chat/chat-service.ts';
import type { ChatEventLog } from '../backend/events/chat-event-log.ts';
import type { KnowledgeIndex } from '../store/knowledge-index.ts';
import type { DocumentPreparer } from '../knowledge/document-preparer-pool.ts';
import type { Logger } from '../base/logger.ts';
import type { RateLimiter } from '../backend/rate-limit/rate-limiter.ts';
import type { Store } from '../store/store.ts';
import type { DeliveredAnswerEnds } from '../backend/delivered-answer-ends.ts';
import type { PlatformMetrics } from '../observability/platform-metrics.ts';
import type { Clock } from '../base/clock.ts';

/** A dependency that /readyz reports on besides the database (e.g. Redis). */
export interface ReadinessCheck {
  name: string;
  check(): Promise<{ ready: boolean; detail?: string }>;
}

export interface PlatformServices {
  readonly config: PlatformConfig;
  readonly store: Store;
  readonly knowledge: KnowledgeIndex;
  /** Parses and chunks uploaded documents in worker threads (knowledge/document-preparer-pool.ts). */
  readonly documentPreparer?: DocumentPreparer;
  readonly tenants: TenantDirectory;
  readonly tokens: TokenService;
  /** Token revocations (checked by `tokens`; recorded by the admin API). */
  readonly tokenRevocations: TokenRevocations;
  readonly chats: ChatService;
  readonly eventLog: ChatEventLog;
  readonly rateLimiter: RateLimiter;
  /** Which answers' ends reached a socket of their chat (the catch-up of a join without last_seq). */
  readonly deliveredAnswerEnds: DeliveredAnswerEnds;
  readonly logger: Logger;
  /** The time of the server's timers (heartbeat, join timeout); a manual one in tests. */
  readonly clock: Clock;
  readonly readinessChecks: readonly ReadinessCheck[];
  /** Set when a graceful shutdown begins: readiness turns 503 and new sockets are refused. */
  readonly lifecycle: { shuttingDown: boolean };
  /** This platform's Prometheus metrics (observability/platform-metrics.ts). */
  readonly metrics: PlatformMetrics;
}
