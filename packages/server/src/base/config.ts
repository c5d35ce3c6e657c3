/**
 * Platform configuration, read from the environment once at start-up. Every variable is validated
 * in one pass and every problem is reported together (one error listing each), so an operator
 * fixes a broken deployment in one round. The result is frozen: nothing changes it at run time.
 * Loading writes nothing: the generated JWT secret is created by `serve` (jwt-secret-file.ts).
 * docs/configuration.md documents each variable.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import proxyAddr from '@fastify/proxy-addr';
import { ConfigError } from './config-error.ts';
import { parseDatabaseUrl } from './database-url.ts';
import { resolveDataDir } from './data-directory.ts';
import { MIN_JWT_SECRET_LENGTH, jwtSecretFilePath, readJwtSecretFile } from './jwt-secret-file.ts';

export { ConfigError } from './config-error.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type LlmProvider = 'extractive' | 'openai-compatible' | 'anthropic';
/**
 * Which proxies in front are trusted to tell the client's address (X-Forwarded-For) and scheme
 * (X-Forwarded-Proto): none (`false`), the nearest N hops (a number; `TRUST_PROXY=true` is 1), or
 * the proxies with these addresses/CIDRs (or proxy-addr's names loopback, linklocal, uniquelocal).
 * http/client-address.ts applies it.
 */
export type TrustProxySetting = false | number | readonly string[];

export interface PlatformConfig {
  readonly port: number;
  readonly host: string;
  /** Address visitors use to reach the platform; its origin is allowed for the default tenant. */
  readonly publicUrl: string;
  /** MIPTECH_DATA_DIR (alias DATA_DIR), else the XDG data directory: see data-directory.ts. */
  readonly dataDir: string;
  readonly databaseUrl: string;
  readonly databasePoolSize: number;
  readonly databaseStatementTimeoutMs: number;
  /** PostgreSQL: longest wait for a free pooled connection (all busy under load) before db_not_ready. */
  readonly databasePoolAcquireTimeoutMs: number;
  /** PostgreSQL schema (search_path) to use, created if missing; null for the default. */
  readonly databaseSchema: string | null;
  /**
   * The token-signing secret; null when it is to come from `jwtSecretFile` and that file does not
   * exist yet (`serve` creates it: ensureJwtSecret; requireJwtSecret explains what to do).
   */
  readonly jwtSecret: string | null;
  /** Where the secret came from: the environment, or a file in the data directory (generated on first start). */
  readonly jwtSecretSource: 'env' | 'file';
  /** The data directory's secret file when JWT_SECRET is unset on the embedded store; else null. */
  readonly jwtSecretFile: string | null;
  readonly widgetJwtRequired: boolean;
  readonly wsJwtRequired: boolean;
  readonly widgetTokenTtlSeconds: number;
  /** How long after its expiry a widget token may still be renewed (keeping its `sub`). */
  readonly widgetTokenRenewalGraceSeconds: number;
  /** Longest chain of widget-token renewals, from the first token (`auth_time`). */
  readonly widgetSessionMaxAgeSeconds: number;
  /** How long a node reuses a tenant's token revocations before reading them again (other nodes' revocations take up to this long). */
  readonly tokenRevocationCacheMs: number;
  /** Admin API requests a minute per secret key (presented key) and per client address. */
  readonly adminRequestsPerMinutePerKey: number;
  readonly adminRequestsPerMinutePerAddress: number;
  /** Node's requestTimeout: the whole request (headers and body) must arrive within it. */
  readonly httpRequestTimeoutMs: number;
  /** Node's headersTimeout: the request headers must arrive within it. */
  readonly httpHeadersTimeoutMs: number;
  /** How long an idle keep-alive connection stays open between requests. */
  readonly httpKeepAliveTimeoutMs: number;
  /** A socket with no traffic at all for this long is closed (Fastify connectionTimeout). */
  readonly httpConnectionTimeoutMs: number;
  readonly wsJoinTimeoutMs: number;
  readonly wsHeartbeatIntervalMs: number;
  /** Largest WebSocket text frame the gateway processes; larger ones get an error frame. */
  readonly wsMaxFrameBytes: number;
  /** Largest frame (or unfinished fragmented message) before the join: a join_chat is < 10 KB. */
  readonly wsJoinMaxFrameBytes: number;
  /** Open WebSockets from one client address (TRUST_PROXY applied); more are refused with 429. */
  readonly wsMaxConnectionsPerAddress: number;
  /** Open WebSockets on this node; more are refused with 429. */
  readonly wsMaxConnections: number;
  /** Longest time a message may stay unfinished (fragments or a slow frame) before the socket is closed. */
  readonly wsPartialFrameTimeoutMs: number;
  /** Unsent bytes queued for one socket past which the client counts as too slow (closed 1013). */
  readonly wsMaxBufferedBytes: number;
  /** Largest REST request body. */
  readonly bodyLimitBytes: number;
  readonly shutdownGraceMs: number;
  /** Proxies trusted to tell the client's address for rate limits (see TrustProxySetting). */
  readonly trustProxy: TrustProxySetting;
  readonly logLevel: LogLevel;
  readonly defaultTenantId: string;
  readonly redisUrl: string | null;
  /** Prepended to every Redis key and channel, so several platforms can share one Redis. */
  readonly redisKeyPrefix: string;
  /** Identifies this process in answer leases and logs; unique per node. */
  readonly nodeId: string;
  /** How long a generating node's lease on an answer holds (renewed every third of it). */
  readonly answerLeaseMs: number;
  /** How often every node looks for answers whose lease expired (their node died). */
  readonly leaseSweepIntervalMs: number;
  /** Tokens one visitor may spend per UTC day when its tenant sets no budget; 0: unlimited. */
  readonly tokenBudgetVisitorDaily: number;
  /** Tokens one tenant may spend per UTC day when it sets no budget; 0: unlimited. */
  readonly tokenBudgetTenantDaily: number;
  /** Model calls of one tenant at once on one node when the tenant sets no cap; 0: no cap. */
  readonly modelCallsPerTenant: number;
  /** How long an answer waits for a free model-call slot of its tenant before failing with model_busy. */
  readonly modelCallWaitMs: number;
  /** How often each node purges the chats past their tenant's retention (retentionDays). */
  readonly retentionSweepIntervalMs: number;
  readonly llmProvider: LlmProvider;
  readonly llmBaseUrl: string | null;
  readonly llmApiKey: string | null;
  readonly llmModel: string | null;
  readonly llmTimeoutMs: number;
  /** How the API key is sent: `authorization` (Bearer) or `api-key` (Azure-style gateways). */
  readonly llmApiKeyHeader: 'authorization' | 'api-key';
  /** Default answer length limit for LLM providers; null for the provider's default. */
  readonly llmMaxTokens: number | null;
  /** Estimated tokens the prompt (system prompt, passages, history) may use; null for the engine default. */
  readonly llmPromptTokenBudget: number | null;
  readonly extractiveChunkDelayMs: number;
  /**
   * Directory whose Markdown files seed the default tenant's knowledge (README.md files next to it
   * too); by default the copy of the platform documentation shipped in this package.
   */
  readonly docsDir: string;
  /** Worker threads that parse and chunk uploaded documents off the event loop. */
  readonly ingestWorkers: number;
  /** Server version (packages/server/package.json). */
  readonly version: string;
  /** Bearer token a scraper sends to GET /metrics; null: /metrics is not served. */
  readonly metricsToken: string | null;
}

export type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const LLM_PROVIDERS: readonly LlmProvider[] = ['extractive', 'openai-compatible', 'anthropic'];
/** The package's root, from src/base/ in development and dist/base/ once built. */
const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * The platform documentation the package ships (built into default-knowledge/ by
 * scripts/copy-default-knowledge.mjs), so an installed server seeds the same knowledge as a checkout.
 */
export const DEFAULT_DOCS_DIR = join(PACKAGE_ROOT, 'default-knowledge', 'docs');

/** Collects problems while reading variables, so all of them are reported together. */
class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  raw(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  string(name: string, fallback: string): string {
    return this.raw(name) ?? fallback;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!/^-?\d+$/.test(value) || !Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max} (got "${value}")`);
      return fallback;
    }
    return parsed;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['1', 'true', 'yes', 'on'].includes(value)) return true;
    if (['0', 'false', 'no', 'off'].includes(value)) return false;
    this.problems.push(`${name} must be true or false (got "${value}")`);
    return fallback;
  }

  /**
   * TRUST_PROXY: false/0 (default), true/1 (the nearest proxy), a hop count, or a comma-separated
   * list of proxy addresses/CIDRs. A hop count up to 16: more proxies in a row than that is a typo.
   */
  trustProxy(name: string): TrustProxySetting {
    const value = this.raw(name);
    if (value === undefined) return false;
    const lower = value.toLowerCase();
    if (['false', 'no', 'off'].includes(lower)) return false;
    if (['true', 'yes', 'on'].includes(lower)) return 1;
    if (/^\d+$/.test(value)) {
      const hops = Number(value);
      if (hops <= 16) return hops === 0 ? false : hops;
      this.problems.push(`${name} hop count must be from 0 to 16 (got "${value}")`);
      return false;
    }
    const entries = value.split(',').map((entry) => entry.trim());
    const invalid = entries.filter((entry) => {
      if (entry === '') return true;
      try {
        proxyAddr.compile(entry);
        return false;
      } catch {
        return true;
      }
    });
    if (invalid.length > 0) {
      this.problems.push(
        `${name} must be true, false, a hop count or a comma-separated list of proxy addresses/CIDRs (not valid: ${invalid.map((entry) => `"${entry}"`).join(', ')})`,
      );
      return false;
    }
    return Object.freeze(entries);
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if ((allowed as readonly string[]).includes(value)) return value as T;
    this.problems.push(`${name} must be one of ${allowed.join(', ')} (got "${value}")`);
    return fallback;
  }

  url(name: string, fallback: string | null, protocols: readonly string[]): string | null {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) {
        this.problems.push(`${name} must use ${protocols.join(' or ')} (got "${parsed.protocol}")`);
        return fallback;
      }
      return value.replace(/\/+$/, '');
    } catch {
      this.problems.push(`${name} must be a URL (got "${value}")`);
      return fallback;
    }
  }
}

function readServerVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/**
 * Reads and validates the configuration. Throws ConfigError listing every problem. Writes nothing.
 * On the embedded default (SQLite) an unset JWT_SECRET comes from the data directory's secret
 * file, read here when it exists (`serve` creates it on first start: ensureJwtSecret); with
 * PostgreSQL (several nodes) it must be set explicitly so every node shares it.
 */
export function loadConfig(env: Env = process.env): PlatformConfig {
  const read = new EnvReader(env);

  const port = read.integer('PORT', 8000, 0, 65535);
  const host = read.string('HOST', '0.0.0.0');
  const publicUrl = read.url('PUBLIC_URL', `http://localhost:${port}`, ['http:', 'https:']) ?? `http://localhost:${port}`;
  const dataDir = resolveDataDir(env);
  const databaseUrl = read.string('DATABASE_URL', `sqlite:${join(dataDir, 'miptech.db')}`);
  let embedded = true;
  try {
    embedded = parseDatabaseUrl(databaseUrl).dialect === 'sqlite';
  } catch (error) {
    read.problems.push(`DATABASE_URL: ${(error as Error).message}`);
  }
  const databasePoolSize = read.integer('DATABASE_POOL_SIZE', 10, 1, 1000);
  const databaseStatementTimeoutMs = read.integer('DATABASE_STATEMENT_TIMEOUT_MS', 10_000, 0, 3_600_000);
  // A busy pool queues: waiting there is load, not an outage (an unreachable database fails the
  // connection attempt itself within 5 s). The bound only stops a request from waiting for ever.
  const databasePoolAcquireTimeoutMs = read.integer('DATABASE_POOL_ACQUIRE_TIMEOUT_MS', 30_000, 1_000, 3_600_000);

  let jwtSecret: string | null = read.raw('JWT_SECRET') ?? null;
  let jwtSecretSource: 'env' | 'file' = 'env';
  let jwtSecretFile: string | null = null;
  if (jwtSecret !== null && jwtSecret.length < MIN_JWT_SECRET_LENGTH) {
    read.problems.push(`JWT_SECRET must be at least ${MIN_JWT_SECRET_LENGTH} characters (HS256 needs a 256-bit key)`);
  } else if (jwtSecret === null) {
    if (embedded) {
      jwtSecretSource = 'file';
      jwtSecretFile = jwtSecretFilePath(dataDir);
      try {
        jwtSecret = readJwtSecretFile(jwtSecretFile);
      } catch (error) {
        read.problems.push(`JWT_SECRET is unset and ${(error as Error).message}`);
      }
    } else {
      read.problems.push('JWT_SECRET is required with PostgreSQL: every node must share the same secret');
    }
  }

  const wsHeartbeatIntervalMs = read.integer('WS_HEARTBEAT_INTERVAL_MS', 25_000, 50, 3_600_000);
  const llmProvider = read.oneOf('LLM_PROVIDER', LLM_PROVIDERS, 'extractive');
  const llmBaseUrl = read.url('LLM_BASE_URL', null, ['http:', 'https:']);
  const llmApiKey = read.raw('LLM_API_KEY') ?? null;
  const llmModel = read.raw('LLM_MODEL') ?? null;
  if (llmProvider === 'openai-compatible' && llmBaseUrl === null) {
    read.problems.push('LLM_BASE_URL is required with LLM_PROVIDER=openai-compatible');
  }
  if (llmProvider !== 'extractive' && llmModel === null) {
    read.problems.push(`LLM_MODEL is required with LLM_PROVIDER=${llmProvider}`);
  }
  if (llmProvider === 'anthropic' && llmApiKey === null) {
    read.problems.push('LLM_API_KEY is required with LLM_PROVIDER=anthropic');
  }

  const config: PlatformConfig = {
    port,
    host,
    publicUrl,
    dataDir,
    databaseUrl,
    databasePoolSize,
    databaseStatementTimeoutMs,
    databasePoolAcquireTimeoutMs,
    databaseSchema: read.raw('DATABASE_SCHEMA') ?? null,
    jwtSecret,
    jwtSecretSource,
    jwtSecretFile,
    widgetJwtRequired: read.boolean('WIDGET_JWT_REQUIRED', true),
    wsJwtRequired: read.boolean('WS_JWT_REQUIRED', true),
    widgetTokenTtlSeconds: read.integer('WIDGET_TOKEN_TTL_SECONDS', 3600, 60, 86_400),
    widgetTokenRenewalGraceSeconds: read.integer('WIDGET_TOKEN_RENEWAL_GRACE_SECONDS', 300, 0, 86_400),
    widgetSessionMaxAgeSeconds: read.integer('WIDGET_SESSION_MAX_AGE_SECONDS', 30 * 86_400, 60, 366 * 86_400),
    tokenRevocationCacheMs: read.integer('TOKEN_REVOCATION_CACHE_MS', 5_000, 0, 600_000),
    adminRequestsPerMinutePerKey: read.integer('ADMIN_REQUESTS_PER_MINUTE_PER_KEY', 300, 0, 1_000_000),
    adminRequestsPerMinutePerAddress: read.integer('ADMIN_REQUESTS_PER_MINUTE_PER_ADDRESS', 600, 0, 1_000_000),
    httpRequestTimeoutMs: read.integer('HTTP_REQUEST_TIMEOUT_MS', 30_000, 100, 3_600_000),
    httpHeadersTimeoutMs: read.integer('HTTP_HEADERS_TIMEOUT_MS', 10_000, 100, 3_600_000),
    httpKeepAliveTimeoutMs: read.integer('HTTP_KEEP_ALIVE_TIMEOUT_MS', 72_000, 100, 3_600_000),
    httpConnectionTimeoutMs: read.integer('HTTP_CONNECTION_TIMEOUT_MS', 120_000, 100, 3_600_000),
    wsJoinTimeoutMs: read.integer('WS_JOIN_TIMEOUT_MS', 10_000, 10, 600_000),
    wsHeartbeatIntervalMs,
    wsMaxFrameBytes: read.integer('WS_MAX_FRAME_BYTES', 64 * 1024, 1024, 16 * 1024 * 1024),
    wsJoinMaxFrameBytes: read.integer('WS_JOIN_MAX_FRAME_BYTES', 16 * 1024, 1024, 1024 * 1024),
    wsMaxConnectionsPerAddress: read.integer('WS_MAX_CONNECTIONS_PER_ADDRESS', 64, 1, 1_000_000),
    wsMaxConnections: read.integer('WS_MAX_CONNECTIONS', 10_000, 1, 1_000_000),
    wsPartialFrameTimeoutMs: read.integer('WS_PARTIAL_FRAME_TIMEOUT_MS', 10_000, 10, 600_000),
    wsMaxBufferedBytes: read.integer('WS_MAX_BUFFERED_BYTES', 1024 * 1024, 16 * 1024, 256 * 1024 * 1024),
    bodyLimitBytes: read.integer('BODY_LIMIT_BYTES', 64 * 1024, 1024, 64 * 1024 * 1024),
    shutdownGraceMs: read.integer('SHUTDOWN_GRACE_MS', 15_000, 0, 600_000),
    trustProxy: read.trustProxy('TRUST_PROXY'),
    logLevel: read.oneOf('LOG_LEVEL', LOG_LEVELS, 'info'),
    defaultTenantId: read.string('DEFAULT_TENANT_ID', 'miptech-company'),
    redisUrl: read.url('REDIS_URL', null, ['redis:', 'rediss:']),
    redisKeyPrefix: read.string('REDIS_KEY_PREFIX', 'miptech:'),
    nodeId: read.string('NODE_ID', `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`),
    // A dead node is noticed within lease + sweep interval (~6 s); renewing costs one indexed UPDATE
    // per running answer every lease/3, the sweep one indexed SELECT per node a second.
    answerLeaseMs: read.integer('ANSWER_LEASE_MS', 5_000, 300, 600_000),
    leaseSweepIntervalMs: read.integer('LEASE_SWEEP_INTERVAL_MS', 1_000, 100, 600_000),
    tokenBudgetVisitorDaily: read.integer('TOKEN_BUDGET_VISITOR_DAILY', 0, 0, 1_000_000_000),
    tokenBudgetTenantDaily: read.integer('TOKEN_BUDGET_TENANT_DAILY', 0, 0, 1_000_000_000_000),
    modelCallsPerTenant: read.integer('MODEL_CALLS_PER_TENANT', 0, 0, 100_000),
    modelCallWaitMs: read.integer('MODEL_CALL_WAIT_MS', 2_000, 0, 600_000),
    retentionSweepIntervalMs: read.integer('RETENTION_SWEEP_INTERVAL_MS', 3_600_000, 1_000, 86_400_000),
    llmProvider,
    llmBaseUrl,
    llmApiKey,
    llmModel,
    llmTimeoutMs: read.integer('LLM_TIMEOUT_MS', 60_000, 100, 3_600_000),
    llmApiKeyHeader: read.oneOf('LLM_API_KEY_HEADER', ['authorization', 'api-key'] as const, 'authorization'),
    llmMaxTokens: read.raw('LLM_MAX_TOKENS') === undefined ? null : read.integer('LLM_MAX_TOKENS', 1024, 1, 1_000_000),
    llmPromptTokenBudget: read.raw('LLM_PROMPT_TOKEN_BUDGET') === undefined ? null : read.integer('LLM_PROMPT_TOKEN_BUDGET', 6000, 100, 10_000_000),
    extractiveChunkDelayMs: read.integer('EXTRACTIVE_CHUNK_DELAY_MS', 15, 0, 10_000),
    docsDir: resolve(read.string('DOCS_DIR', DEFAULT_DOCS_DIR)),
    ingestWorkers: read.integer('INGEST_WORKERS', 1, 1, 64),
    version: readServerVersion(),
    metricsToken: read.raw('METRICS_TOKEN') ?? null,
  };

  if (config.databaseSchema !== null && !/^[a-z_][a-z0-9_]{0,62}$/i.test(config.databaseSchema)) {
    read.problems.push('DATABASE_SCHEMA must be a plain SQL identifier (letters, digits, "_")');
  }
  if (!/^[a-z0-9][a-z0-9_-]{0,63}$/i.test(config.defaultTenantId)) {
    read.problems.push('DEFAULT_TENANT_ID must be 1-64 letters, digits, "-" or "_"');
  }
  if (config.httpHeadersTimeoutMs > config.httpRequestTimeoutMs) {
    read.problems.push('HTTP_HEADERS_TIMEOUT_MS must not be greater than HTTP_REQUEST_TIMEOUT_MS');
  }
  if (config.metricsToken !== null && !/^[\x21-\x7e]{16,512}$/.test(config.metricsToken)) {
    read.problems.push('METRICS_TOKEN must be 16-512 printable characters without spaces');
  }
  if (read.problems.length > 0) throw new ConfigError(read.problems);
  return Object.freeze(config);
}
