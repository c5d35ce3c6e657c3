/**
 * The node's backend, chosen once: what one node shares with the others when there are several.
 *
 * - single node (no REDIS_URL): the in-process event log, in-memory rate limits, no stop relay
 *   (ChatService stops locally), delivered answer ends remembered in memory;
 * - Redis (REDIS_URL): the Redis event log, shared rate limits, the stop relay and delivered
 *   answer ends, all on the node's two shared Redis connections (node-redis-connections.ts).
 *
 * Every part can be replaced (tests pass their own event log, rate limiter or stop relay); a
 * replaced part is the caller's to close. A Redis that is down does not stop the node: start-up
 * waits for it a little, then goes on (each part falls back to node-local behaviour and recovers by
 * itself), and the `redis` readiness check reports it meanwhile.
 */
import type { PlatformConfig } from '../base/config.ts';
import { systemClock, type Clock } from '../base/clock.ts';
import type { Logger } from '../base/logger.ts';
import type { Store } from '../store/store.ts';
import type { ChatEventLog } from './events/chat-event-log.ts';
import { createInProcessEventLog } from './events/in-process-event-log.ts';
import { RedisChatEventLog } from './events/redis-event-log.ts';
import { RedisStopRelay } from './events/redis-stop-relay.ts';
import type { StopRelay } from './stop-relay.ts';
import { createInMemoryRateLimiter } from './rate-limit/in-memory-rate-limiter.ts';
import type { RateLimiter } from './rate-limit/rate-limiter.ts';
import { createRedisRateLimiter } from './rate-limit/redis-rate-limiter.ts';
import { LocalDeliveredAnswerEnds, type DeliveredAnswerEnds } from './delivered-answer-ends.ts';
import { RedisDeliveredAnswerEnds } from './redis-delivered-answer-ends.ts';
import { NodeRedisConnections } from './redis/node-redis-connections.ts';

/** How long start-up waits for Redis before going on without it. */
const REDIS_START_WAIT_MS = 5000;

export interface BackendOverrides {
  eventLog?: ChatEventLog;
  rateLimiter?: RateLimiter;
  /** Carries stop_generation to the other nodes; by default Redis when REDIS_URL is set, else none. */
  stopRelay?: StopRelay;
}

export interface BackendDeps {
  /** Seq ceilings (both event logs) and the in-process log's storage. */
  store: Store;
  logger: Logger;
  /** @default systemClock */
  clock?: Clock;
}

/** The shape of a /readyz check (transport's ReadinessCheck), without importing the layer above. */
export interface BackendReadinessCheck {
  name: string;
  check(): Promise<{ ready: boolean; detail?: string }>;
}

export interface NodeBackend {
  readonly kind: 'single-node' | 'redis';
  readonly eventLog: ChatEventLog;
  readonly rateLimiter: RateLimiter;
  /** null on a single node: there is no other node to tell. */
  readonly stopRelay: StopRelay | null;
  readonly deliveredAnswerEnds: DeliveredAnswerEnds;
  /** For /readyz: `redis` when the node uses Redis. */
  readonly readinessChecks: readonly BackendReadinessCheck[];
  /** Closes the parts it created, then the Redis connections. Idempotent. */
  close(): Promise<void>;
}

type BackendConfig = Pick<PlatformConfig, 'redisUrl' | 'redisKeyPrefix' | 'nodeId'>;

export async function createBackend(config: BackendConfig, deps: BackendDeps, overrides: BackendOverrides = {}): Promise<NodeBackend> {
  return config.redisUrl ? createRedisBackend(config.redisUrl, config, deps, overrides) : createSingleNodeBackend(deps, overrides);
}

function createSingleNodeBackend(deps: BackendDeps, overrides: BackendOverrides): NodeBackend {
  const owned: Array<{ close(): Promise<void> }> = [];
  const eventLog = overrides.eventLog ?? own(owned, createInProcessEventLog(deps.store));
  const rateLimiter = overrides.rateLimiter ?? own(owned, createInMemoryRateLimiter({ clock: deps.clock ?? systemClock }));
  const deliveredAnswerEnds = own(owned, new LocalDeliveredAnswerEnds());
  return {
    kind: 'single-node',
    eventLog,
    rateLimiter,
    stopRelay: overrides.stopRelay ?? null,
    deliveredAnswerEnds,
    readinessChecks: [],
    close: closeOnce(owned, deps.logger),
  };
}

async function createRedisBackend(redisUrl: string, config: BackendConfig, deps: BackendDeps, overrides: BackendOverrides): Promise<NodeBackend> {
  const { logger } = deps;
  const connections = new NodeRedisConnections({ url: redisUrl, nodeId: config.nodeId, logger });
  const shared = { connections, keyPrefix: config.redisKeyPrefix, nodeId: config.nodeId, logger };
  // Closed before the connections they use (see closeOnce: last in, first out).
  const owned: Array<{ close(): Promise<void> }> = [connections];
  const eventLog = overrides.eventLog ?? own(owned, new RedisChatEventLog({ ...shared, seqCeilings: deps.store.chats }));
  const rateLimiter = overrides.rateLimiter ?? own(owned, createRedisRateLimiter({ ...shared, clock: deps.clock ?? systemClock }));
  // The answer a visitor stops may be generated on another node (see stop-relay.ts).
  const stopRelay = overrides.stopRelay ?? own(owned, new RedisStopRelay(shared));
  // A client that saw an answer end on one node must not get it again from another (catch-up).
  const deliveredAnswerEnds = own(owned, new RedisDeliveredAnswerEnds(shared));

  const waits: Array<Promise<void>> = [connections.waitUntilReady(REDIS_START_WAIT_MS)];
  if (stopRelay instanceof RedisStopRelay) waits.push(stopRelay.waitUntilReady(REDIS_START_WAIT_MS));
  // Start without Redis if need be (the parts serve this node meanwhile and recover by themselves);
  // readiness reports it.
  await Promise.all(waits).catch((error: unknown) => logger.warn({ err: error }, 'redis not reachable at start-up'));

  return {
    kind: 'redis',
    eventLog,
    rateLimiter,
    stopRelay,
    deliveredAnswerEnds,
    readinessChecks: [{ name: 'redis', check: () => connections.health() }],
    close: closeOnce(owned, logger),
  };
}

function own<T extends { close(): Promise<void> }>(owned: Array<{ close(): Promise<void> }>, part: T): T {
  owned.push(part);
  return part;
}

function closeOnce(owned: ReadonlyArray<{ close(): Promise<void> }>, logger: Logger): () => Promise<void> {
  let closing: Promise<void> | null = null;
  return () => {
    closing ??= (async () => {
      for (const part of [...owned].reverse()) {
        await part.close().catch((error: unknown) => logger.warn({ err: error }, 'error while closing the backend'));
      }
    })();
    return closing;
  };
}
