/**
 * Assembles the platform: store, knowledge, answer engine, event log, rate limiter, the REST API
 * (Fastify) and the WebSocket gateway, all on one HTTP server. Every part can be replaced through
 * `overrides` (tests pass a scripted engine; the scale-out setup passes Redis implementations).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { PlatformConfig } from './base/config.ts';
import { createTenantDirectory } from './auth/tenant-directory.ts';
import { createTokenService } from './auth/token-service.ts';
import { ChatService } from './chat/chat-service.ts';
import { LeaseSweeper } from './chat/lease-sweeper.ts';
import type { AnswerEngine } from './engines/answer-engine.ts';
import { createAnswerEngine } from './engines/create-answer-engine.ts';
import type { ChatEventLog } from './backend/events/chat-event-log.ts';
import { createInProcessEventLog } from './backend/events/in-process-event-log.ts';
import { RedisChatEventLog } from './backend/events/redis-event-log.ts';
import { RedisStopRelay } from './backend/events/redis-stop-relay.ts';
import type { StopRelay } from './backend/stop-relay.ts';
import { registerCors } from './http/cors.ts';
import { registerErrorHandling } from './http/error-handler.ts';
import { trackHttpConnections } from './http/http-connections.ts';
import { proxyTrustOf } from './transport/client-address.ts';
import type { PlatformServices, ReadinessCheck } from './transport/platform-services.ts';
import { registerRoutes } from './http/route-registry.ts';
import type { KnowledgeIndex } from './store/knowledge-index.ts';
import { seedDefaultKnowledge } from './knowledge/seed-default-knowledge.ts';
import { createLogger, type Logger } from './base/logger.ts';
import { createInMemoryRateLimiter } from './backend/rate-limit/in-memory-rate-limiter.ts';
import type { RateLimiter } from './backend/rate-limit/rate-limiter.ts';
import { createRedisRateLimiter } from './backend/rate-limit/redis-rate-limiter.ts';
import { ensureDefaultTenant } from './auth/ensure-default-tenant.ts';
import { isDatabaseUnavailable } from './store/database-unavailable.ts';
import { openStoreForServing } from './store/open-store-for-serving.ts';
import type { Store } from './store/store.ts';
import { attachWsGateway, type WsGateway } from './ws/ws-gateway.ts';
import { LocalDeliveredAnswerEnds, type DeliveredAnswerEnds } from './backend/delivered-answer-ends.ts';
import { RedisDeliveredAnswerEnds } from './backend/redis-delivered-answer-ends.ts';

export interface PlatformOverrides {
  /** With `store`, also pass `knowledge` (both come from one openStore call). */
  store?: Store;
  knowledge?: KnowledgeIndex;
  engine?: AnswerEngine;
  eventLog?: ChatEventLog;
  rateLimiter?: RateLimiter;
  /** Carries stop_generation to the other nodes; by default Redis when REDIS_URL is set, else none. */
  stopRelay?: StopRelay;
  logger?: Logger;
  /** Extra readiness checks (e.g. Redis) reported by /readyz. */
  readinessChecks?: ReadinessCheck[];
  /** Seed the default tenant's knowledge from DOCS_DIR at start-up. @default true */
  seedKnowledge?: boolean;
  /**
   * Fastify plugins registered after the platform's own routes, with its services: how the
   * deployable process (@miptech/platform) adds the widget assets and demo pages without this
   * library knowing the widget.
   */
  plugins?: ReadonlyArray<FastifyPluginAsync<PlatformServices>>;
}

export interface Platform {
  readonly config: PlatformConfig;
  readonly app: FastifyInstance;
  readonly services: PlatformServices;
  readonly gateway: WsGateway;
  /**
   * Resolves once the database is open and migrated and the default tenant exists: already when
   * createPlatform returns for SQLite, later for a PostgreSQL that was not reachable yet (the node
   * listens meanwhile and answers 503 db_not_ready). Rejects when the database cannot be opened for
   * a reason waiting does not fix; the caller should then stop.
   */
  readonly ready: Promise<void>;
  /** Starts listening on config.host:config.port; `url` is the http:// base URL to reach it. */
  listen(): Promise<{ url: string }>;
  /**
   * Graceful shutdown: readiness turns 503, no new connections, every socket closed with 1001,
   * answers in flight finish and are stored (up to `graceMs`, default SHUTDOWN_GRACE_MS; then they
   * are stored as interrupted), then everything the platform opened is closed. Idempotent.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export async function createPlatform(config: PlatformConfig, overrides: PlatformOverrides = {}): Promise<Platform> {
  const logger = overrides.logger ?? createLogger(config.logLevel);
  const owned: Array<{ close(): Promise<void> }> = [];

  if ((overrides.store === undefined) !== (overrides.knowledge === undefined)) {
    throw new Error('createPlatform: pass both store and knowledge, or neither');
  }
  let store: Store;
  let knowledge: KnowledgeIndex;
  let storeReady: Promise<void> = Promise.resolve();
  let storeIsOpen = true;
  if (overrides.store && overrides.knowledge) {
    store = overrides.store;
    knowledge = overrides.knowledge;
  } else {
    // SQLite opens here; PostgreSQL keeps trying in the background (see open-store-for-serving.ts).
    const opening = await openStoreForServing({
      databaseUrl: config.databaseUrl,
      poolSize: config.databasePoolSize,
      statementTimeoutMs: config.databaseStatementTimeoutMs,
      acquireTimeoutMs: config.databasePoolAcquireTimeoutMs,
      ...(config.databaseSchema ? { schema: config.databaseSchema } : {}),
      logger,
    });
    ({ store, knowledge } = opening);
    storeReady = opening.ready;
    storeIsOpen = opening.isReady();
    owned.push(store);
  }

  const readinessChecks: ReadinessCheck[] = [...(overrides.readinessChecks ?? [])];
  try {
    const engine = overrides.engine ?? createAnswerEngine(toEngineConfig(config));
    let stopRelay = overrides.stopRelay;
    let stopRelayReady: Promise<void> = Promise.resolve();
    if (!stopRelay && config.redisUrl) {
      // The answer a visitor stops may be generated on another node (see chat/stop-relay.ts).
      const redisRelay = new RedisStopRelay({ redisUrl: config.redisUrl, keyPrefix: config.redisKeyPrefix, nodeId: config.nodeId, logger });
      stopRelay = redisRelay;
      owned.push(redisRelay);
      stopRelayReady = redisRelay.waitUntilReady(5000).catch((error: unknown) => logger.warn({ err: error }, 'redis stop relay not ready at start-up'));
    }
    let deliveredAnswerEnds: DeliveredAnswerEnds;
    let deliveredAnswerEndsReady: Promise<void> = Promise.resolve();
    if (config.redisUrl) {
      // A client that saw an answer end on one node must not get it again from another (catch-up).
      const redisEnds = new RedisDeliveredAnswerEnds({ redisUrl: config.redisUrl, keyPrefix: config.redisKeyPrefix, nodeId: config.nodeId, logger });
      deliveredAnswerEnds = redisEnds;
      deliveredAnswerEndsReady = redisEnds.waitUntilReady(5000).catch((error: unknown) => logger.warn({ err: error }, 'redis (delivered answer ends) not ready at start-up'));
    } else {
      deliveredAnswerEnds = new LocalDeliveredAnswerEnds();
    }
    owned.push(deliveredAnswerEnds);
    let eventLog = overrides.eventLog;
    if (!eventLog) {
      if (config.redisUrl) {
        const redisLog = new RedisChatEventLog({
          redisUrl: config.redisUrl,
          keyPrefix: config.redisKeyPrefix,
          nodeId: config.nodeId,
          seqCeilings: store.chats,
          logger,
        });
        readinessChecks.push({ name: 'redis', check: () => redisLog.health() });
        eventLog = redisLog;
        owned.push(redisLog);
        // Start without Redis if need be (the log serves this node's sockets meanwhile and
        // recovers by itself); readiness reports it.
        await redisLog.waitUntilReady(5000).catch((error: unknown) => logger.warn({ err: error }, 'redis not reachable at start-up'));
      } else {
        eventLog = createInProcessEventLog(store);
        owned.push(eventLog);
      }
    }
    let rateLimiter = overrides.rateLimiter;
    if (!rateLimiter) {
      rateLimiter = config.redisUrl
        ? createRedisRateLimiter({ redisUrl: config.redisUrl, keyPrefix: config.redisKeyPrefix, nodeId: config.nodeId, logger })
        : createInMemoryRateLimiter();
      owned.push(rateLimiter);
    }
    // Connecting since before the event log waited for Redis: a Redis that is down delays start-up once.
    await Promise.all([stopRelayReady, deliveredAnswerEndsReady]);

    let closing: Promise<void> | null = null;
    const tenants = createTenantDirectory(store);
    // Until the default tenant and its knowledge exist the node is not ready (a store that opened
    // late hands over before they are set up).
    let setUp = false;
    readinessChecks.push({ name: 'startup', check: async () => ({ ready: setUp, detail: 'setting up the default tenant' }) });
    // The default tenant and knowledge need the database, so they follow it.
    const ready = storeReady.then(async () => {
      await untilDatabaseAnswers(() => ensureDefaultTenant(store, config, logger), () => closing !== null);
      // A lookup in between may have cached "no such tenant".
      tenants.invalidate(config.defaultTenantId);
      if (overrides.seedKnowledge ?? true) {
        await seedDefaultKnowledge({ store, knowledge, tenantId: config.defaultTenantId, docsDir: config.docsDir }).then(
          (result) => logger.info({ ...result, tenantId: config.defaultTenantId }, 'default knowledge seeded'),
          (error: unknown) => logger.warn({ err: error }, 'could not seed the default knowledge'),
        );
      }
      setUp = true;
    });
    if (storeIsOpen) await ready;
    else ready.catch((error: unknown) => closing === null && logger.error({ err: error }, 'the database cannot be used: not getting ready'));

    const services: PlatformServices = {
      config,
      store,
      knowledge,
      tenants,
      tokens: await createTokenService(config.jwtSecret),
      chats: new ChatService({
        store,
        knowledge,
        engine,
        eventLog,
        rateLimiter,
        logger,
        nodeId: config.nodeId,
        leaseMs: config.answerLeaseMs,
        ...(stopRelay ? { stopRelay } : {}),
      }),
      eventLog,
      rateLimiter,
      deliveredAnswerEnds,
      logger,
      readinessChecks,
      lifecycle: { shuttingDown: false },
    };

    const app = Fastify({
      loggerInstance: logger as FastifyBaseLogger,
      // Per-request log lines cost throughput; a debug-level hook below logs them when asked.
      logController: new LogController({ disableRequestLogging: true }),
      bodyLimit: config.bodyLimitBytes,
      // The same rule as the WebSocket handshake's client address (http/client-address.ts).
      trustProxy: proxyTrustOf(config) ?? false,
      routerOptions: { ignoreTrailingSlash: true },
      genReqId: (request) => {
        const header = request.headers['x-request-id'];
        return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
      },
    });
    // Some widgets post JSON as text/plain (no CORS preflight); treat it as JSON.
    app.removeContentTypeParser('text/plain');
    app.addContentTypeParser('text/plain', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
    app.addHook('onSend', async (request, reply) => {
      void reply.header('x-request-id', String(request.id));
    });
    if (logger.isLevelEnabled('debug')) {
      app.addHook('onResponse', async (request, reply) => {
        request.log.debug({ req: request, statusCode: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request');
      });
    }
    registerErrorHandling(app);
    registerCors(app, services);
    await registerRoutes(app, services);
    for (const plugin of overrides.plugins ?? []) await app.register(plugin, services);
    await app.ready();

    const httpConnections = trackHttpConnections(app.server);
    const gateway = attachWsGateway(app.server, services);
    // Every node finishes the answers of nodes that died (their lease ran out).
    const sweeper = new LeaseSweeper({ store, eventLog, nodeId: config.nodeId, logger, intervalMs: config.leaseSweepIntervalMs });
    if (storeIsOpen) sweeper.start();
    else
      ready.then(
        () => closing === null && sweeper.start(),
        () => undefined,
      );

    return {
      config,
      app,
      services,
      gateway,
      ready,
      async listen() {
        await app.listen({ port: config.port, host: config.host });
        const address = app.server.address();
        const port = typeof address === 'object' && address ? address.port : config.port;
        const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host.includes(':') ? `[${config.host}]` : config.host;
        const url = `http://${host}:${port}`;
        logger.info({ url, nodeId: config.nodeId, database: store.dialect }, 'platform listening');
        return { url };
      },
      close(options = {}) {
        closing ??= (async () => {
          const graceMs = options.graceMs ?? config.shutdownGraceMs;
          const graceEnds = Date.now() + graceMs;
          services.lifecycle.shuttingDown = true;
          await sweeper.stop();
          // Stop accepting connections first; open keep-alive requests still finish.
          if (app.server.listening) app.server.close();
          await gateway.closeAll();
          // A browser's idle keep-alive and pre-connected sockets would hold the close for the
          // keep-alive timeout; requests in progress finish within the grace period.
          httpConnections.closeIdle();
          await services.chats.drain(graceMs);
          await httpConnections.closeAll(graceEnds);
          gateway.stop();
          await app.close();
          for (const resource of owned.reverse()) {
            await resource.close().catch((error: unknown) => logger.warn({ err: error }, 'error while closing'));
          }
          logger.info('platform closed');
        })();
        return closing;
      },
    };
  } catch (error) {
    for (const resource of owned.reverse()) await resource.close().catch(() => undefined);
    throw error;
  }
}

function toEngineConfig(config: PlatformConfig): Parameters<typeof createAnswerEngine>[0] {
  return {
    llmProvider: config.llmProvider,
    llmTimeoutMs: config.llmTimeoutMs,
    extractiveChunkDelayMs: config.extractiveChunkDelayMs,
    ...(config.llmBaseUrl ? { llmBaseUrl: config.llmBaseUrl } : {}),
    ...(config.llmApiKey ? { llmApiKey: config.llmApiKey } : {}),
    ...(config.llmModel ? { llmModel: config.llmModel } : {}),
    llmApiKeyHeader: config.llmApiKeyHeader,
    ...(config.llmMaxTokens !== null ? { llmMaxTokens: config.llmMaxTokens } : {}),
    ...(config.llmPromptTokenBudget !== null ? { llmPromptTokenBudget: config.llmPromptTokenBudget } : {}),
  };
}

/**
 * Runs `step` again while it fails because the database is unavailable (a blip right after a late
 * open must not end the process), with backoff capped at 5 s; other errors, and giving up once
 * `stopped()` says the platform is closing, reject.
 */
async function untilDatabaseAnswers<T>(step: () => Promise<T>, stopped: () => boolean): Promise<T> {
  for (let attempt = 0; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || stopped()) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 250 * 2 ** attempt)));
    }
  }
}
