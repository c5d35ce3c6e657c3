/**
 * The dialect table for store tests: SQLite always (a fresh temp directory per database), and
 * PostgreSQL at TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test) in a unique
 * schema per database, dropped on dispose. Setting TEST_DATABASE_URL to an empty string skips
 * PostgreSQL with a message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openStore, type OpenStoreOptions, type OpenedStore } from '../../src/store/open-store.ts';

const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';

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
  const configured = process.env.TEST_DATABASE_URL;
  const databaseUrl = configured ?? DEFAULT_POSTGRES_URL;
  return {
    dialect: 'postgres',
    skip: configured === '' ? 'PostgreSQL store tests skipped: TEST_DATABASE_URL is set to an empty string' : undefined,
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

/** SQLite, then PostgreSQL (skipped only when TEST_DATABASE_URL is explicitly empty). */
export function testDatabaseTargets(): TestDatabaseTarget[] {
  return [sqliteTarget(), postgresTarget()];
}
