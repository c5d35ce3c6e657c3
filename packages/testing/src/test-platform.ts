/**
 * Starts a real platform for a test: 127.0.0.1, port 0, a fresh temporary DATA_DIR, silent logs,
 * and by default the scripted engine instead of the extractive one. Returns helpers to mint
 * tokens, create tenants, build URLs and restart on the same port and data (for shutdown/reconnect
 * tests).
 *
 * The store is the dialect table of the platform-level suites: `TEST_STORE=sqlite` (the default: a
 * SQLite file in DATA_DIR) or `TEST_STORE=postgres` (a schema of its own per platform in the
 * database of testPostgres() in test/store/test-databases.ts, dropped on close; a restart keeps it). `npm test` runs these
 * suites once per dialect. A test that passes `database` chooses for itself.
 *
 *   const tp = await startTestPlatform();
 *   t.after(() => tp.close());
 *   const token = await tp.mintToken({ sub: 'alice' });
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { SCOPES } from '@miptech/protocol';
import { createDeployablePlatform } from '@miptech/platform';
import { ensureJwtSecret, loadConfig, type CreatedTenant, type Platform, type PlatformConfig, type PlatformOverrides, type TenantSettings } from '@miptech/server';
import { dropSchema, testPostgres, type TestDatabase } from './test-databases.ts';
import { createScriptedEngine } from './scripted-engine.ts';

export interface StartTestPlatformOptions {
  /** Extra environment variables (override the test defaults). */
  env?: Record<string, string>;
  /** Replaced parts; `engine` defaults to a scripted engine. Pass `engine: null` for the configured (extractive) engine. */
  overrides?: Omit<PlatformOverrides, 'engine'> & { engine?: PlatformOverrides['engine'] | null };
  /** Reuse a data directory (it is then not deleted on close). */
  dataDir?: string;
  /** Where the data lives (e.g. a database from test/store/test-databases.ts); default per TEST_STORE. */
  database?: Pick<TestDatabase, 'databaseUrl' | 'schema'>;
  /** Listen on this port instead of a free one. */
  port?: number;
}

export interface MintTokenOptions {
  /** @default the default tenant */
  tenantId?: string;
  /** @default ['chat:create', 'chat:send'] */
  scopes?: string[] | string;
  /** @default a random visitor id; `null` for a token without `sub` */
  sub?: string | null;
  /** Negative for an already expired token. @default 3600 */
  ttlSeconds?: number;
  /** Sign with another secret (an invalid signature). */
  secret?: string;
}

export interface TestPlatform {
  readonly platform: Platform;
  readonly config: PlatformConfig;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** The default tenant (`miptech-company`). */
  readonly tenantId: string;
  /** `ws://127.0.0.1:<port>/api/v1/ws/chat?tenant_id=…` plus extra query parameters. */
  wsUrl(query?: Record<string, string> | null, tenantId?: string): string;
  mintToken(options?: MintTokenOptions): Promise<string>;
  /** Creates a tenant (allowing http://localhost:3000 unless settings say otherwise). */
  createTenant(id: string, settings?: Partial<TenantSettings>): Promise<CreatedTenant>;
  /** Graceful close, then a new platform on the same port and data. */
  restart(options?: { graceMs?: number }): Promise<TestPlatform>;
  /** Closes the platform (graceful, short grace) and deletes the temporary directory. */
  close(options?: { graceMs?: number; keepData?: boolean }): Promise<void>;
}

export const ALLOWED_TEST_ORIGIN = 'http://localhost:3000';

/** The store of platforms started without `database`: TEST_STORE, `sqlite` unless set. */
export function testStore(): 'sqlite' | 'postgres' {
  const value = process.env.TEST_STORE?.trim() || 'sqlite';
  if (value !== 'sqlite' && value !== 'postgres') throw new Error(`TEST_STORE must be sqlite or postgres, got: ${value}`);
  return value;
}

/** A PostgreSQL schema of its own (created by the platform's migrations) and how to drop it. */
function postgresPlatformDatabase(): { databaseUrl: string; schema: string; drop(): Promise<void> } {
  const { url: databaseUrl, skip } = testPostgres();
  if (databaseUrl === null) throw new Error(`TEST_STORE=postgres needs a PostgreSQL database: ${skip}`);
  const schema = `platform_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  return { databaseUrl, schema, drop: () => dropSchema(databaseUrl, schema) };
}

export async function startTestPlatform(options: StartTestPlatformOptions = {}): Promise<TestPlatform> {
  if (options.database === undefined && testStore() === 'postgres') {
    const owned = postgresPlatformDatabase();
    const database = { databaseUrl: owned.databaseUrl, schema: owned.schema };
    try {
      return withCleanup(await startTestPlatform({ ...options, database }), owned.drop);
    } catch (error) {
      await owned.drop().catch(() => undefined);
      throw error;
    }
  }

  const ownsDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'miptech-test-'));
  const env: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: String(options.port ?? 0),
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    PUBLIC_URL: 'http://localhost:8000',
    EXTRACTIVE_CHUNK_DELAY_MS: '0',
    NODE_ID: `test-${randomBytes(3).toString('hex')}`,
  };
  if (options.database) {
    env.DATABASE_URL = options.database.databaseUrl;
    if (options.database.schema) env.DATABASE_SCHEMA = options.database.schema;
    // PostgreSQL needs the secret from the environment (SQLite keeps a generated one in DATA_DIR).
    env.JWT_SECRET = `test-secret-${randomBytes(24).toString('hex')}`;
  }
  Object.assign(env, options.env);

  // As `serve` does: on SQLite the secret file is created in DATA_DIR on the first start.
  let config = ensureJwtSecret(loadConfig(env));
  const { engine, ...rest } = options.overrides ?? {};
  const overrides: PlatformOverrides = { seedKnowledge: false, ...rest };
  if (engine !== null) overrides.engine = engine ?? createScriptedEngine();

  let platform: Platform;
  try {
    platform = await createDeployablePlatform(config, overrides);
  } catch (error) {
    if (ownsDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const { url } = await platform.listen();
  const port = Number(new URL(url).port);
  // Later restarts must come back on the same port.
  config = { ...config, port };

  const tp: TestPlatform = {
    platform,
    config,
    url,
    port,
    dataDir,
    tenantId: config.defaultTenantId,
    wsUrl(query = {}, tenantId = config.defaultTenantId) {
      const params = new URLSearchParams(query ?? {});
      if (query !== null && tenantId && !params.has('tenant_id')) params.set('tenant_id', tenantId);
      const search = params.toString();
      return `ws://127.0.0.1:${port}/api/v1/ws/chat${search ? `?${search}` : ''}`;
    },
    async mintToken(mint = {}) {
      const tenantId = mint.tenantId ?? config.defaultTenantId;
      const scopes = mint.scopes ?? [SCOPES.chatCreate, SCOPES.chatSend];
      const sub = mint.sub === undefined ? `visitor-${randomBytes(4).toString('hex')}` : mint.sub;
      const now = Math.floor(Date.now() / 1000);
      const jwt = new SignJWT({ tenant_id: tenantId, scope: scopes })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
        .setIssuedAt(now)
        .setExpirationTime(now + (mint.ttlSeconds ?? 3600));
      return (sub ? jwt.setSubject(sub) : jwt).sign(new TextEncoder().encode(mint.secret ?? config.jwtSecret));
    },
    async createTenant(id, settings = {}) {
      const created = await platform.services.store.tenants.create({ id, name: id, settings: { allowedOrigins: [ALLOWED_TEST_ORIGIN], ...settings } });
      platform.services.tenants.invalidate(id);
      return created;
    },
    async restart(restartOptions = {}) {
      await platform.close({ graceMs: restartOptions.graceMs ?? 2000 });
      // Same port, data directory, database and secret (tokens minted before stay valid).
      const env = { ...options.env, NODE_ID: `test-${randomBytes(3).toString('hex')}`, ...(options.database ? { JWT_SECRET: config.jwtSecret } : {}) };
      const next = await startTestPlatform({ ...options, dataDir, port, env });
      // The restarted platform owns the directory when this one did.
      return ownsDir ? withCleanup(next, async () => rmSync(dataDir, { recursive: true, force: true })) : next;
    },
    async close(closeOptions = {}) {
      await platform.close({ graceMs: closeOptions.graceMs ?? 1000 });
      if (ownsDir && !closeOptions.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return tp;
}

/**
 * Runs `cleanup` after the platform's own close (unless `keepData`), and hands it on to the
 * platforms `restart()` returns, which use the same data.
 */
function withCleanup(tp: TestPlatform, cleanup: () => Promise<void>): TestPlatform {
  const close = tp.close.bind(tp);
  const restart = tp.restart.bind(tp);
  return Object.assign(tp, {
    close: async (closeOptions: { graceMs?: number; keepData?: boolean } = {}) => {
      await close({ ...closeOptions, keepData: true });
      if (!closeOptions.keepData) await cleanup();
    },
    restart: async (restartOptions?: { graceMs?: number }) => withCleanup(await restart(restartOptions), cleanup),
  });
}
