/**
 * The dialect table for store tests: SQLite always (a fresh temp directory per database), and
 * PostgreSQL in a unique schema per database, dropped on dispose.
 *
 * Which PostgreSQL (one rule for every test that needs it, see testPostgres below):
 * TEST_DATABASE_URL set (CI sets it) → that database, and failing to reach it fails the tests;
 * set to an empty string → skipped; unset → the default postgres://postgres@127.0.0.1:5432/test
 * is probed once per test process (short timeout) and used when it answers, otherwise the tests
 * that need it are skipped with a message naming TEST_DATABASE_URL (a fresh clone without
 * PostgreSQL still runs `npm test`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type OpenStoreOptions, type OpenedStore } from '@miptech/server';

export const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
const PROBE_TIMEOUT_MS = 1500;

/** The PostgreSQL of the tests: its URL, or why tests that need it are skipped. */
export type TestPostgres = { readonly url: string; readonly skip: undefined } | { readonly url: null; readonly skip: string };

async function findTestPostgres(): Promise<TestPostgres> {
  const configured = process.env.TEST_DATABASE_URL;
  if (configured === '') return { url: null, skip: 'PostgreSQL tests skipped: TEST_DATABASE_URL is set to an empty string' };
  if (configured !== undefined) return { url: configured, skip: undefined };
  const client = new pg.Client({ connectionString: DEFAULT_POSTGRES_URL, connectionTimeoutMillis: PROBE_TIMEOUT_MS });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return { url: DEFAULT_POSTGRES_URL, skip: undefined };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    return {
      url: null,
      skip: `PostgreSQL tests skipped: TEST_DATABASE_URL is unset and ${DEFAULT_POSTGRES_URL} does not answer (${reason}); set TEST_DATABASE_URL to run them`,
    };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Decided once per test process, before any test is declared (so `skip` can use it). */
const testPostgresDecision = await findTestPostgres();

/** The PostgreSQL tests use (see the rule at the top of this file). */
export function testPostgres(): TestPostgres {
  return testPostgresDecision;
}

export interface TestDatabase {
  readonly dialect: 'sqlite' | 'postgres';
  /** The URL and schema that reach this database (for opening it again, e.g. after a restart). */
  readonly databaseUrl: string;
  readonly schema: string | undefined;
  /** Opens a store on this database; every store opened here is closed by dispose(). */
  open(options?: Omit<OpenStoreOptions, 'databaseUrl' | 'schema'>): Promise<OpenedStore>;
  /** Closes the stores and deletes the database (temp directory or schema). */
  dispose(): Promise<void>;
}

export interface TestDatabaseTarget {
  readonly dialect: 'sqlite' | 'postgres';
  /** A reason to skip, or undefined to run. */
  readonly skip: string | undefined;
  create(): Promise<TestDatabase>;
}

function trackingOpen(databaseUrl: string, schema: string | undefined, opened: OpenedStore[]) {
  return async (options: Omit<OpenStoreOptions, 'databaseUrl' | 'schema'> = {}) => {
    const store = await openStore({ ...options, databaseUrl, ...(schema === undefined ? {} : { schema }) });
    opened.push(store);
    return store;
  };
}

async function closeAll(opened: OpenedStore[]): Promise<void> {
  await Promise.all(opened.splice(0).map(({ store }) => store.close()));
}

function sqliteTarget(): TestDatabaseTarget {
  return {
    dialect: 'sqlite',
    skip: undefined,
    async create() {
      const dir = mkdtempSync(join(tmpdir(), 'miptech-store-'));
      const databaseUrl = `sqlite:${join(dir, 'nested', 'store.db')}`;
      const opened: OpenedStore[] = [];
      return {
        dialect: 'sqlite',
        databaseUrl,
        schema: undefined,
        open: trackingOpen(databaseUrl, undefined, opened),
        async dispose() {
          await closeAll(opened);
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

/** A schema name no other test run will pick. */
export function uniqueSchemaName(): string {
  return `store_test_${process.pid}_${randomBytes(4).toString('hex')}`;
}

export async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`drop schema if exists "${schema}" cascade`);
  } finally {
    await client.end();
  }
}

function postgresTarget(): TestDatabaseTarget {
  const { url, skip } = testPostgres();
  const databaseUrl = url ?? DEFAULT_POSTGRES_URL;
  return {
    dialect: 'postgres',
    skip,
    async create() {
      const schema = uniqueSchemaName();
      const opened: OpenedStore[] = [];
      return {
        dialect: 'postgres',
        databaseUrl,
        schema,
        open: trackingOpen(databaseUrl, schema, opened),
        async dispose() {
          await closeAll(opened);
          await dropSchema(databaseUrl, schema);
        },
      };
    },
  };
}

/** SQLite, then PostgreSQL (skipped as testPostgres() says). */
export function testDatabaseTargets(): TestDatabaseTarget[] {
  return [sqliteTarget(), postgresTarget()];
}
