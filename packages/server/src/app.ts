/**
 * Assembles the platform: store, knowledge, answer engine, event log, rate limiter, the REST API
 * (Fastify) and the WebSocket gateway, all on one HTTP server. Every part can be replaced through
 * `overrides` (tests pass a scripted engine; the scale-out setup passes Redis implementations).
 */
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyPluginAsync } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { PlatformConfig } from './base/config.ts';
import { jwtSecretFileExposure, requireJwtSecret } from './base/jwt-secret-file.ts';
import { createTenantDirectory } from './auth/tenant-directory.ts';
import { createTokenService } from './auth/token-service.ts';
import { createTokenRevocations } from './auth/token-revocations.ts';
import { ChatService } from './chat/chat-service.ts';
import { LeaseSweeper } from './chat/lease-sweeper.ts';
import { createModelCallGate } from './chat/model-call-gate.ts';
import { RetentionPurge } from './chat/retention-purge.ts';
import { startContinuation, type ContinuationRun } from './chat/continue-answer.ts';
import type { AnswerEngine } from './engines/answer-engine.ts';
import { createAnswerEngine } from './engines/create-answer-engine.ts';
import type { ChatEventLog } from './backend/events/chat-event-log.ts';
import { createBackend } from './backend/create-backend.ts';
import type { StopRelay } from './backend/stop-relay.ts';
import { systemClock, type Clock } from './base/clock.ts';
import { registerCors } from './http/cors.ts';
import { clientErrorHandler, frameworkErrorHandler, registerErrorHandling } from './http/error-handler.ts';
import { registerRequestLog } from './http/request-log.ts';
import { createPlatformMetrics } from './observability/platform-metrics.ts';
import { countRateLimitRejections } from './backend/rate-limit/counted-rate-limiter.ts';
import { trackHttpConnections } from './http/http-connections.ts';
import { proxyTrustOf } from './transport/client-address.ts';
import type { PlatformServices, ReadinessCheck } from './transport/platform-services.ts';
import { registerRoutes } from './http/route-registry.ts';
import type { KnowledgeIndex } from './store/knowledge-index.ts';
import { seedDefaultKnowledge } from './knowledge/seed-default-knowledge.ts';
import { createDocumentPreparerPool } from './knowledge/document-preparer-pool.ts';
import { createLogger, type Logger } from './base/logger.ts';
import type { RateLimiter } from './backend/rate-limit/rate-limiter.ts';
import { ensureDefaultTenant } from './auth/ensure-default-tenant.ts';
import { isDatabaseUnavailable } from './store/database-unavailable.ts';
import { openStoreForServing } from './store/open-store-for-serving.ts';
import type { Store } from './store/store.ts';
import { attachWsGateway, type WsGateway } from './ws/ws-gateway.ts';

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
  /**
   * The time of the server's timers (heartbeat, join timeout, answer leases, lease sweeper,
   * in-memory rate-limit windows); tests pass a manual clock. @default systemClock
   */
  clock?: Clock;
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
  const exposedSecret = jwtSecretFileExposure(config);
  if (exposedSecret) logger.warn(exposedSecret, 'the JWT secret file is readable by other users: anyone who reads it can sign tokens; run chmod 600 on it');
  const clock = overrides.clock ?? systemClock;
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
    // The single-node or Redis backend, chosen once (backend/create-backend.ts).
    const backend = await createBackend(config, { store, logger, clock }, overrides);
    owned.push(backend);
    const { eventLog, stopRelay, deliveredAnswerEnds } = backend;
    // One registry per platform (tests run several in one process); see observability/.
    const metrics = createPlatformMetrics();
    owned.push(metrics);
    const rateLimiter = countRateLimitRejections(backend.rateLimiter, metrics);
    readinessChecks.push(...backend.readinessChecks);

    let closing: Promise<void> | null = null;
    // Upload parsing runs in worker threads, started on the first upload and ended on close.
    const documentPreparer = createDocumentPreparerPool({ size: config.ingestWorkers });
    owned.push(documentPreparer);
    const tenants = createTenantDirectory(store);
    const tokenRevocations = createTokenRevocations(store.tokenRevocations, { ttlMs: config.tokenRevocationCacheMs, clock: { now: () => Date.now() } });
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
        await seedDefaultKnowledge({ store, knowledge, tenantId: config.defaultTenantId, docsDir: config.docsDir, logger }).then(
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
      documentPreparer,
      tenants,
      tokens: await createTokenService(requireJwtSecret(config), { revocations: tokenRevocations }),
      tokenRevocations,
      chats: new ChatService({
        store,
        knowledge,
        engine,
        eventLog,
        rateLimiter,
        logger,
        nodeId: config.nodeId,
        leaseMs: config.answerLeaseMs,
        clock,
        metrics,
        ...(stopRelay ? { stopRelay } : {}),
        modelCalls: createModelCallGate(config, { store, clock, logger, metrics }),
      }),
      eventLog,
      rateLimiter,
      deliveredAnswerEnds,
      logger,
      clock,
      readinessChecks,
      lifecycle: { shuttingDown: false },
      metrics,
    };

    const app = Fastify({
      loggerInstance: logger as FastifyBaseLogger,
      // Fastify's own two lines per request (with the raw URL) are replaced by one line of
      // http/request-log.ts.
      logController: new LogController({ disableRequestLogging: true }),
      bodyLimit: config.bodyLimitBytes,
      // A request whose headers or body never finish arriving is answered 408 and closed instead
      // of holding a socket for ever (Fastify's defaults are 0: no limit). Node checks pending
      // requests every connectionsCheckingInterval, so that is a fraction of the shorter bound.
      requestTimeout: config.httpRequestTimeoutMs,
      connectionTimeout: config.httpConnectionTimeoutMs,
      keepAliveTimeout: config.httpKeepAliveTimeoutMs,
      http: {
        headersTimeout: config.httpHeadersTimeoutMs,
        connectionsCheckingInterval: Math.max(50, Math.min(5_000, Math.floor(Math.min(config.httpHeadersTimeoutMs, config.httpRequestTimeoutMs) / 4))),
      },
      // The same rule as the WebSocket handshake's client address (http/client-address.ts).
      trustProxy: proxyTrustOf(config) ?? false,
      // Path parameters up to 256 characters reach the routes, whose schemas judge ids (the id
      // pattern allows 128; the router's default of 100 answered 414 for ids of 101-128).
      routerOptions: { ignoreTrailingSlash: true, maxParamLength: 256 },
      // Errors raised before any route runs still answer with the typed error body.
      frameworkErrors: frameworkErrorHandler(metrics),
      clientErrorHandler: clientErrorHandler(metrics),
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
    registerRequestLog(app, metrics);
    registerErrorHandling(app, metrics);
    registerCors(app, services);
    await registerRoutes(app, services);
    for (const plugin of overrides.plugins ?? []) await app.register(plugin, services);
    await app.ready();

    const httpConnections = trackHttpConnections(app.server);
    const gateway = attachWsGateway(app.server, services);
    const redisCheck = readinessChecks.find((check) => check.name === 'redis');
    metrics.observe({
      sockets: () => ({ open: gateway.connectionCount, joined: gateway.joinedCount }),
      answersInFlight: () => services.chats.runningCount,
      databaseUp: async () => (await store.health()).ready,
      ...(redisCheck ? { redisUp: async () => (await redisCheck.check()).ready } : {}),
    });
    // Every node finishes the answers of nodes that died (their lease ran out).
    // With a log that outlives its process (Redis), a dead node's answer is continued here from
    // the text its clients hold (continue-answer.ts); the in-process log dies with its node.
    const continuation = { store, engine, run: (run: ContinuationRun) => services.chats.continueAnswer(run) };
    const sweeper = new LeaseSweeper({
      store,
      eventLog,
      nodeId: config.nodeId,
      logger,
      intervalMs: config.leaseSweepIntervalMs,
      clock,
      ...(eventLog.outlivesProcess ? { continueAnswer: (answer, partial, owner) => startContinuation(continuation, answer, partial, owner) } : {}),
    });
    if (storeIsOpen) sweeper.start();
    else
      ready.then(
        () => closing === null && sweeper.start(),
        () => undefined,
      );
    // Every node purges the chats past their tenant's retention (idempotent deletes: safe on several).
    const retention = new RetentionPurge({ store, eventLog, logger, clock, intervalMs: config.retentionSweepIntervalMs });
    void ready.then(
      () => closing === null && retention.start(),
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
          await retention.stop();
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
