/**
 * Starts a real platform for a test: 127.0.0.1, port 0, a fresh temporary DATA_DIR (SQLite file
 * inside it unless a PostgreSQL test database is given), silent logs, and by default the scripted
 * engine instead of the extractive one. Returns helpers to mint tokens, create tenants, build
 * URLs and restart on the same port and data (for shutdown/reconnect tests).
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
import { createPlatform, type Platform, type PlatformOverrides } from '../../src/app.ts';
import { loadConfig, type PlatformConfig } from '../../src/config.ts';
import type { CreatedTenant, TenantSettings } from '../../src/store/store.ts';
import type { TestDatabase } from '../store/test-databases.ts';
import { createScriptedEngine } from './scripted-engine.ts';

export interface StartTestPlatformOptions {
  /** Extra environment variables (override the test defaults). */
  env?: Record<string, string>;
  /** Replaced parts; `engine` defaults to a scripted engine. Pass `engine: null` for the configured (extractive) engine. */
  overrides?: Omit<PlatformOverrides, 'engine'> & { engine?: PlatformOverrides['engine'] | null };
  /** Reuse a data directory (it is then not deleted on close). */
  dataDir?: string;
  /** A database from test/store/test-databases.ts (e.g. PostgreSQL); default SQLite in DATA_DIR. */
  database?: TestDatabase;
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

export async function startTestPlatform(options: StartTestPlatformOptions = {}): Promise<TestPlatform> {
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
    env.JWT_SECRET = `test-secret-${randomBytes(24).toString('hex')}`;
  }
  Object.assign(env, options.env);

  let config = loadConfig(env);
  const { engine, ...rest } = options.overrides ?? {};
  const overrides: PlatformOverrides = { seedKnowledge: false, ...rest };
  if (engine !== null) overrides.engine = engine ?? createScriptedEngine();

  let platform: Platform;
  try {
    platform = await createPlatform(config, overrides);
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
      return startTestPlatform({ ...options, dataDir, port, env: { ...options.env, NODE_ID: `test-${randomBytes(3).toString('hex')}` } }).then((next) => {
        // The restarted platform owns the directory when this one did.
        if (!ownsDir) return next;
        const close = next.close.bind(next);
        return Object.assign(next, {
          close: async (closeOptions: { graceMs?: number; keepData?: boolean } = {}) => {
            await close({ ...closeOptions, keepData: true });
            if (!closeOptions.keepData) rmSync(dataDir, { recursive: true, force: true });
          },
        });
      });
    },
    async close(closeOptions = {}) {
      await platform.close({ graceMs: closeOptions.graceMs ?? 1000 });
      if (ownsDir && !closeOptions.keepData) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return tp;
}
