/**
 * Opening the store for a serving node. SQLite opens at once, as before: a local file has nothing
 * to wait for, and a file that cannot be opened is a configuration problem. PostgreSQL opens in
 * the background: in Kubernetes or compose the database often starts after the application, and a
 * node that exited would only be restarted into the same race. So the node listens, `/healthz`
 * answers, and the store and knowledge index returned here are usable at once: until the database
 * is open and migrated every call fails with db_not_ready (the same error a database lost after
 * start gives, so REST answers 503 with Retry-After and a WebSocket join gets the error frame and
 * 1011 through the one path of database-unavailable.ts), and health() reports db_not_ready while
 * connecting and schema_unavailable while migrating.
 *
 * Attempts repeat with capped, jittered exponential backoff while the failure means "the database
 * cannot be reached" (isDatabaseUnavailable). Anything else (a wrong password, a database that
 * does not exist, a failing migration) is not going to change by waiting: `ready` rejects and the
 * caller fails the start. The first attempt is awaited: a database that answers is open when this
 * returns (callers see no difference from openStore), and one that refuses for good fails the
 * start before anything listens.
 */
import { AppError, isAppError } from '../base/errors.ts';
import type { KnowledgeIndex } from './knowledge-index.ts';
import type { Logger } from '../base/logger.ts';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from './database-unavailable.ts';
import { parseDatabaseUrl } from '../base/database-url.ts';
import { openStore, type OpenStoreOptions, type OpenedStore } from './open-store.ts';
import type { DatabaseHealth, Store } from './store.ts';

export interface OpenStoreForServingOptions extends Omit<OpenStoreOptions, 'migrate' | 'onConnected'> {
  logger: Pick<Logger, 'info' | 'warn'>;
  /** Delay after the first failed attempt; doubles per attempt up to maxRetryDelayMs. @default 250 */
  initialRetryDelayMs?: number;
  /** @default 5000 */
  maxRetryDelayMs?: number;
}

export interface ServingStore extends OpenedStore {
  /** Resolves once the database is open and migrated; rejects on a failure retrying cannot fix, or when closed before. */
  readonly ready: Promise<void>;
  isReady(): boolean;
}

type Phase = 'connecting' | 'migrating' | 'ready' | 'failed' | 'closed';

export async function openStoreForServing(options: OpenStoreForServingOptions): Promise<ServingStore> {
  const { logger, initialRetryDelayMs = 250, maxRetryDelayMs = 5000, ...openOptions } = options;
  // Throws for a malformed URL before anything listens.
  if (parseDatabaseUrl(openOptions.databaseUrl).dialect === 'sqlite') {
    const opened = await openStore(openOptions);
    return { ...opened, ready: Promise.resolve(), isReady: () => true };
  }

  let phase: Phase = 'connecting';
  let opened: OpenedStore | null = null;
  let lastFailure = 'connecting to the database';
  let wake: (() => void) | null = null;
  let timer: NodeJS.Timeout | undefined;

  // Settled by the first attempt that fails for a reason waiting may fix.
  let firstAttemptFailed: () => void = () => undefined;
  const waiting = new Promise<void>((resolve) => {
    firstAttemptFailed = resolve;
  });

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      wake = resolve;
      timer = setTimeout(resolve, ms);
    });

  async function attemptUntilOpen(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (phase === 'closed') throw closedBeforeReady();
      phase = 'connecting';
      try {
        const result = await openStore({
          ...openOptions,
          onConnected: () => {
            if (phase === 'connecting') phase = 'migrating';
          },
        });
        if ((phase as Phase) === 'closed') {
          await result.store.close();
          throw closedBeforeReady();
        }
        opened = result;
        phase = 'ready';
        logger.info({ attempts: attempt }, 'database open and migrated');
        return;
      } catch (error) {
        if ((phase as Phase) === 'closed') throw closedBeforeReady();
        if (!isTransientOpenFailure(error)) {
          phase = 'failed';
          throw error;
        }
        lastFailure = error instanceof Error ? error.message : String(error);
        const delay = retryDelay(attempt, initialRetryDelayMs, maxRetryDelayMs);
        logger.warn({ err: lastFailure, attempt, retryInMs: delay }, 'database not reachable yet; retrying');
        firstAttemptFailed();
        await sleep(delay);
      }
    }
  }

  const ready = attemptUntilOpen();
  // The caller decides what a failure means; an unobserved rejection must not crash the process.
  ready.catch(() => undefined);
  // A database that answers is open before this returns, as SQLite is, and one that refuses for
  // good fails the start here; only one that cannot be reached yet is waited for in the background.
  await Promise.race([ready, waiting]);

  const notReady = () => Promise.reject(new AppError('db_not_ready', 'Database not ready yet; try again shortly', { retryAfter: DATABASE_RETRY_AFTER_SECONDS }));
  const pendingTenants = deferred<Store['tenants']>(() => opened?.store.tenants, notReady);
  const pendingChats = deferred<Store['chats']>(() => opened?.store.chats, notReady);
  const pendingMessages = deferred<Store['messages']>(() => opened?.store.messages, notReady);
  const pendingDocuments = deferred<Store['documents']>(() => opened?.store.documents, notReady);
  const pendingPrivacy = deferred<Store['privacy']>(() => opened?.store.privacy, notReady);
  const pendingTokenUsage = deferred<Store['tokenUsage']>(() => opened?.store.tokenUsage, notReady);
  const pendingTokenRevocations = deferred<Store['tokenRevocations']>(() => opened?.store.tokenRevocations, notReady);

  const store: Store = {
    dialect: 'postgres',
    // The repositories themselves once open; parts that kept the deferred ones delegate.
    get tenants() {
      return opened?.store.tenants ?? pendingTenants;
    },
    get chats() {
      return opened?.store.chats ?? pendingChats;
    },
    get messages() {
      return opened?.store.messages ?? pendingMessages;
    },
    get documents() {
      return opened?.store.documents ?? pendingDocuments;
    },
    get privacy() {
      return opened?.store.privacy ?? pendingPrivacy;
    },
    get tokenUsage() {
      return opened?.store.tokenUsage ?? pendingTokenUsage;
    },
    get tokenRevocations() {
      return opened?.store.tokenRevocations ?? pendingTokenRevocations;
    },
    async health(): Promise<DatabaseHealth> {
      if (opened) return opened.store.health();
      return { ready: false, code: phase === 'migrating' ? 'schema_unavailable' : 'db_not_ready', detail: lastFailure };
    },
    async close() {
      if (phase !== 'ready' && phase !== 'failed') {
        phase = 'closed';
        clearTimeout(timer);
        wake?.();
        // An attempt in flight ends by itself (bounded by the connect timeout) and closes what it opened.
        await ready.catch(() => undefined);
      }
      await opened?.store.close();
    },
  };
  const knowledge = deferred<KnowledgeIndex>(() => opened?.knowledge, notReady);
  return { store, knowledge, ready, isReady: () => opened !== null };
}

/**
 * openPostgresDialect wraps every failure to connect in db_not_ready; whether waiting helps
 * depends on what it wraps (a refused connection does, a wrong password does not).
 */
function isTransientOpenFailure(error: unknown): boolean {
  if (isAppError(error) && error.code === 'db_not_ready' && error.cause !== undefined) return isDatabaseUnavailable(error.cause);
  return isDatabaseUnavailable(error);
}

/** Exponential from `initial`, capped at `max`, with ±20% jitter so nodes started together spread out. */
export function retryDelay(attempt: number, initial: number, max: number): number {
  const base = Math.min(max, initial * 2 ** Math.min(attempt - 1, 30));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

function closedBeforeReady(): Error {
  return new Error('store closed before the database was ready');
}

/**
 * An object whose methods call the same methods of `current()` once it exists, and reject with
 * `notReady` before. Bound methods are cached: the chat hot path calls them per message.
 */
function deferred<T extends object>(current: () => T | undefined, notReady: () => Promise<never>): T {
  const bound = new Map<PropertyKey, unknown>();
  return new Proxy({} as T, {
    get(_target, property) {
      const target = current();
      if (!target) return typeof property === 'symbol' || property === 'then' ? undefined : notReady;
      const value: unknown = Reflect.get(target, property);
      if (typeof value !== 'function') return value;
      let method = bound.get(property);
      if (!method) {
        method = value.bind(target);
        bound.set(property, method);
      }
      return method;
    },
  });
}
