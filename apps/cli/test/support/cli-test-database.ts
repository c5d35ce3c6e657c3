/**
 * The database of a CLI test, per TEST_STORE like the platform-level suites (scripts/run-tests.mjs
 * runs these files once per store): SQLite in the test's data directory, or PostgreSQL (the rule
 * of testPostgres()) in a schema of its own, dropped by dispose(). Returns the environment the
 * CLI reads (DATABASE_URL, DATABASE_SCHEMA, and JWT_SECRET, which PostgreSQL needs from the
 * environment where SQLite keeps a generated one in DATA_DIR).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { testStore } from '@miptech/testing/test-platform.ts';
import { dropSchema, testPostgres, uniqueSchemaName } from '@miptech/testing/test-databases.ts';

export interface CliTestDatabase {
  /** Environment variables selecting the database (merge into the CLI's env). */
  readonly env: Record<string, string>;
  readonly dialect: 'sqlite' | 'postgres';
  dispose(): Promise<void>;
}

export function cliTestDatabase(dataDir: string): CliTestDatabase {
  if (testStore() === 'sqlite') {
    return { dialect: 'sqlite', env: { DATABASE_URL: `sqlite:${join(dataDir, 'db.sqlite')}` }, dispose: async () => undefined };
  }
  const { url, skip } = testPostgres();
  if (url === null) throw new Error(`TEST_STORE=postgres needs a PostgreSQL database: ${skip}`);
  const schema = uniqueSchemaName();
  return {
    dialect: 'postgres',
    env: { DATABASE_URL: url, DATABASE_SCHEMA: schema, JWT_SECRET: `cli-test-${randomBytes(24).toString('hex')}` },
    dispose: () => dropSchema(url, schema),
  };
}
