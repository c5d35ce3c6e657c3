/**
 * Options of `createChatClient` and the small structural types that make the SDK's environment
 * injectable (WebSocket, fetch, storage, timers, browser events), so it runs the same in browsers,
 * Node 20 and tests.
 */

/** The subset of `Storage` the SDK uses (localStorage, sessionStorage or your own). */
export interface StorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** The subset of a WebSocket the SDK uses; the browser's WebSocket and `ws` both fit. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketConstructorLike = new (url: string) => WebSocketLike;

export type TimerHandle = unknown;

export interface TimersLike {
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Minimal EventTarget for the browser events the SDK listens to (`online`, `pageshow`, …). */
export interface EventTargetLike {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

/**
 * Where the SDK hears that reconnecting now is a good idea: `online` and `pageshow` on the window,
 * `visibilitychange` on the document (only when it becomes visible).
 */
export interface LifecycleEnvironment {
  window?: EventTargetLike | null;
  document?: (EventTargetLike & { readonly visibilityState?: string }) | null;
}

export interface ReconnectOptions {
  /**
   * Reconnect attempts after a connection was lost (and REST retries of chat creation) before the
   * client gives up with a visible `failed` state.
   * @default 10
   */
  maxAttempts?: number;
  /** First backoff ceiling; each attempt doubles it (full jitter: the delay is random below it). @default 500 */
  baseDelayMs?: number;
  /** Cap of the backoff ceiling. @default 30000 */
  maxDelayMs?: number;
}

export interface ChatClientOptions {
  /** Base URL of the platform's REST API, e.g. `https://api.example.com`. */
  apiUrl: string;
  /**
   * WebSocket endpoint. `tenant_id` is added as a query parameter.
   * @default apiUrl with ws(s):// and the protocol's WS_PATH (`/api/v1/ws/chat`)
   */
  wsUrl?: string;
  tenantId: string;
  /** A fixed token (JWT). Prefer `getToken` so an expired token can be replaced. @default null */
  token?: string | null;
  /**
   * Called whenever a token is needed: the first connect, before a join when the cached token is
   * about to expire, and after the server rejected it (REST 401 or close 4401, one retry). Return
   * null for an anonymous widget connection.
   */
  getToken?: () => string | null | Promise<string | null>;
  /** Where the session id lives between page loads. @default localStorage when usable, else memory */
  storage?: StorageLike | null;
  /** Use this session id instead of the stored one. */
  sessionId?: string;
  /** Title of a newly created chat. @default 'Website Chat Session' */
  title?: string;
  /** WebSocket constructor (pass `ws` in Node). @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructorLike;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  reconnect?: ReconnectOptions;
  /** Load the chat's history (GET /api/v1/chat/{id}/messages) on every (re)join. @default true */
  loadHistory?: boolean;
  /** Messages per history page, on (re)join and per `loadOlder()` (1–200). @default 100 */
  historyPageSize?: number;
  /** @default the global setTimeout/clearTimeout, looked up at call time (so mocked timers apply) */
  timers?: TimersLike;
  /** Random source in [0, 1) for backoff jitter and ids. @default Math.random */
  random?: () => number;
  /** Browser events to reconnect on; null disables. @default globalThis.window / globalThis.document */
  lifecycle?: LifecycleEnvironment | null;
}
