/**
 * The scaled setup: PostgreSQL through a pg pool. Every connection gets the statement timeout
 * and, when a schema is given, a search_path pointing at it (tests isolate themselves that way).
 * Connection error listeners are mandatory: without them, a connection dropped by a restarting
 * database would crash the process instead of being replaced on the next checkout.
 *
 * Two different waits, two bounds. pg-pool uses one setting (`connectionTimeoutMillis`) both for
 * opening a new connection and for waiting in its queue for a busy one to come back. A database
 * that does not answer a connection attempt within seconds is unreachable (db_not_ready); a pool
 * whose connections are all busy is only loaded, and its queue moves as statements finish. With a
 * single 5 s bound, a node under load failed answers and messages with db_not_ready /
 * generation_failed although the database was fine. So the pool's setting is the queue bound
 * (`acquireTimeoutMs`, long) and every connection attempt carries its own short bound
 * (`connectTimeoutMs`, through the client class).
 */
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { AppError } from '../base/errors.ts';
import { PostgresKnowledgeIndex } from './postgres-knowledge-index.ts';
import { postgresSearchMigration } from './postgres-search-migration.ts';
import type { StoreDatabase } from './database-schema.ts';
import type { StoreDialect } from './store-dialect.ts';

export interface PostgresDialectOptions {
  connectionString: string;
  /** @default 10 */
  poolSize?: number;
  /** @default 30000 */
  statementTimeoutMs?: number;
  /** Longest wait in the pool's queue for a free connection (all busy: load, not an outage). @default 30000 */
  acquireTimeoutMs?: number;
  /** Longest wait for a new connection to be established (unreachable: db_not_ready). @default 5000 */
  connectTimeoutMs?: number;
  /** Schema for every table (created if missing); the connection's default schema when absent. */
  schema?: string;
}

const CONNECT_TIMEOUT_MS = 5000;
const PING_TIMEOUT_MS = 2000;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function ignoreConnectionError(): void {}

/** A pool client class whose connection attempt has its own short bound, whatever the pool's queue bound. */
function boundedConnectClient(connectTimeoutMs: number): typeof pg.Client {
  return class BoundedConnectClient extends pg.Client {
    constructor(config?: string | pg.ClientConfig) {
      super({ ...(typeof config === 'string' ? { connectionString: config } : config), connectionTimeoutMillis: connectTimeoutMs });
    }
  };
}

/** Checks a connection out, waiting at most `timeoutMs` in the queue; a late one goes back to the pool. */
async function connectWithin(pool: pg.Pool, timeoutMs: number): Promise<pg.PoolClient> {
  const pending = pool.connect();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const winner = await Promise.race([pending, timedOut]);
    if (winner !== 'timeout') return winner;
  } finally {
    clearTimeout(timer);
  }
  pending.then((client) => client.release(), () => undefined);
  // The pool's own wording: database-unavailable.ts maps it to db_not_ready.
  throw new Error('timeout exceeded when trying to connect');
}

/** `if not exists` still races when two nodes start at once: the loser sees a unique violation. */
async function createSchemaIfMissing(db: Kysely<StoreDatabase>, schema: string): Promise<void> {
  try {
    await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
  } catch (error) {
    if ((error as { code?: unknown }).code !== '23505') throw error;
  }
}

/** Opens a pool on the database and makes sure the schema exists. */
export async function openPostgresDialect(options: PostgresDialectOptions): Promise<StoreDialect> {
  const { schema } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error(`Invalid PostgreSQL schema name ${JSON.stringify(schema)}: use lower-case letters, digits and _`);
  }
  const connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.poolSize ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    // The queue bound (pg-pool also applies it to new connections, which the client class bounds sooner).
    connectionTimeoutMillis: Math.max(options.acquireTimeoutMs ?? 30_000, connectTimeoutMs),
    Client: boundedConnectClient(connectTimeoutMs),
    // search_path at connection start-up: it holds for every statement, pooled or not.
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // A connection lost while idle is reported on the pool, one lost while checked out on the
  // client itself; an unheard 'error' event would crash the process. The failed query rejects
  // anyway, the pool discards the dead client, and health() reports the outage meanwhile.
  pool.on('error', ignoreConnectionError);
  pool.on('connect', (client) => client.on('error', ignoreConnectionError));
  const db = new Kysely<StoreDatabase>({ dialect: new PostgresDialect({ pool }) });
  try {
    if (schema !== undefined) await createSchemaIfMissing(db, schema);
    const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
    const migrationTableSchema = rows[0]?.schema ?? 'public';
    return {
      name: 'postgres',
      db,
      migrationTableSchema,
      sortableText: sql`text collate "C"`,
      autoIncrementKey: { type: 'bigserial', sqliteAutoIncrement: false },
      knowledgeSearchMigration: postgresSearchMigration,
      createKnowledgeIndex: () => new PostgresKnowledgeIndex(db),
      async ping() {
        // Dedicated short timeouts: readiness must answer quickly even when the pool is stuck
        // (the queue bound of ordinary statements is much longer).
        const client = await connectWithin(pool, connectTimeoutMs);
        let failure: Error | undefined;
        try {
          await client.query({ text: 'select 1', query_timeout: PING_TIMEOUT_MS } as pg.QueryConfig);
        } catch (error) {
          failure = error instanceof Error ? error : new Error(String(error));
          throw error;
        } finally {
          // Passing the error destroys the connection instead of returning a broken one to the pool.
          client.release(failure);
        }
      },
      close: () => db.destroy(),
    };
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw new AppError('db_not_ready', `Cannot open the PostgreSQL database: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
