/**
 * The client's behaviour: chat creation, the socket and its state machine, the outbox, replies,
 * resume and history. See chat-client.ts for the public contract.
 *
 * Three rules keep callbacks from doing harm at the wrong time:
 * - every socket gets a transport id; its callbacks are ignored once it is no longer the current one;
 * - every connection attempt gets an AbortController; closing or failing aborts its REST calls and
 *   backoff sleeps, and their late results are dropped;
 * - there is one reconnect timer slot; scheduling clears it first.
 */
import {
  CHAT_EVENT_TYPES,
  CLOSE_CODES,
  ERROR_CODES,
  isErrorCode,
  MAX_MESSAGE_CHARS,
  shouldReconnect,
  type ChatJoinedData,
  type ConnectionReadyData,
  type ErrorData,
  type MessageReceivedData,
  type ProcessingData,
  type ResponseChunkData,
  type ResponseCompleteData,
  type ServerFrame,
  type ServerFrameType,
} from '@miptech/protocol';
import type { ChatClient, SentMessage, ServerFrameListener, SnapshotListener } from './chat-client.ts';
import type {
  ChatClientOptions,
  LifecycleEnvironment,
  StorageLike,
  TimerHandle,
  TimersLike,
  WebSocketConstructorLike,
  WebSocketLike,
} from './chat-client-options.ts';
import type { ChatMessage, ChatSnapshot, ConnectionState } from './chat-snapshot.ts';
import { ChatApiError, UndeliveredMessageError } from './chat-api-error.ts';
import { ChatRestApi, HISTORY_PAGE_SIZE, MAX_HISTORY_PAGE_SIZE } from './chat-rest-api.ts';
import { DEFAULT_BACKOFF, fullJitterDelay, type BackoffSettings } from './backoff.ts';
import { canTransition, isActive } from './connection-state-machine.ts';
import { Conversation } from './conversation.ts';
import { HeartbeatWatchdog } from './heartbeat-watchdog.ts';
import { Outbox } from './outbox.ts';
import { defaultLifecycle, watchPageLifecycle } from './page-lifecycle.ts';
import { randomId } from './random-id.ts';
import { defaultStorage, forgetSessionId, loadOrCreateSessionId } from './session-store.ts';
import { SnapshotStore } from './snapshot-store.ts';
import { TokenProvider } from './token-provider.ts';
import { buildWsUrl, normalizeApiUrl } from './endpoint-urls.ts';
import { closeCodeError, describeClose, HEARTBEAT_LOST_CLOSE_CODE } from './close-codes.ts';

/** The guide's fallback (§7): send join_chat this long after open even without connection_ready. */
export const JOIN_FALLBACK_MS = 1000;
/** Longest wait for chat_joined after join_chat before the attempt counts as failed. */
export const JOIN_RESPONSE_TIMEOUT_MS = 15_000;
export const DEFAULT_MAX_ATTEMPTS = 10;
export const DEFAULT_TITLE = 'Website Chat Session';
/** Most pages a rejoin reads back to close a gap between the newest page and what was shown. */
export const MAX_GAP_PAGES = 10;

const OPEN = 1;

/** Error codes in an `error` frame that refuse the user message just sent (when not otherwise attributed). */
const SEND_REJECTION_CODES: ReadonlySet<string> = new Set([
  'validation_error',
  'message_too_large',
  'rate_limited',
  'not_joined',
  'invalid_frame',
]);

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
  reject(error: ChatApiError): void;
}

function createDeferred(): Deferred {
  let resolve!: () => void;
  let reject!: (error: ChatApiError) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // The state is visible in the snapshot; a caller that ignores connect()'s promise must not get an
  // unhandled rejection for it.
  promise.catch(() => {});
  return { promise, resolve, reject };
}

function globalTimers(): TimersLike {
  // Looked up at call time so node:test's mock.timers (or fake timers enabled later) apply.
  return {
    setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
    clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class ChatClientController implements ChatClient {
  private readonly apiUrl: string;
  private readonly wsUrl: string;
  private readonly tenantId: string;
  private readonly title: string;
  private readonly loadHistoryOnJoin: boolean;
  private readonly historyPageSize: number;
  private readonly maxAttempts: number;
  private readonly backoff: BackoffSettings;
  private readonly timers: TimersLike;
  private readonly random: () => number;
  private readonly storage: StorageLike | null;
  private readonly lifecycle: LifecycleEnvironment | null;
  private readonly WebSocketCtor: WebSocketConstructorLike | undefined;
  private readonly fetchImpl: typeof fetch | undefined;
  private readonly tokens: TokenProvider;
  private readonly explicitSessionId: string | undefined;

  private readonly store: SnapshotStore;
  private readonly conversation = new Conversation();
  private readonly outbox = new Outbox();
  private readonly frameListeners = new Map<string, Set<(frame: never) => void>>();
  private readonly watchdog: HeartbeatWatchdog;

  private api: ChatRestApi | null = null;
  private sessionId: string | null = null;
  private run: AbortController | null = null;
  private socket: WebSocketLike | null = null;
  private transportId = 0;
  private joinToken: string | null = null;
  private joinSent = false;
  private joinTimer: TimerHandle | null = null;
  private reconnectTimer: TimerHandle | null = null;
  private attempt = 0;
  private authRetryUsed = false;
  private failedRetryable = false;
  private lastSeq = 0;
  /** Whether this client has joined its current chat before (then a join is a resume). */
  private joinedBefore = false;
  private waiters: Deferred | null = null;
  private detachLifecycle: (() => void) | null = null;
  private historyGeneration = 0;
  /**
   * History paging of the current chat: `before` of the next older page (the oldest message read
   * so far), and whether a page has been read at all (the first one decides `hasOlder`; rejoin
   * reloads of the newest page must not undo what older pages found out).
   */
  private olderCursor: string | null = null;
  private historyPageRead = false;
  private olderLoad: { promise: Promise<void>; abort: AbortController } | null = null;

  constructor(options: ChatClientOptions) {
    if (!options || typeof options.apiUrl !== 'string' || options.apiUrl === '') {
      throw new TypeError('createChatClient: apiUrl is required');
    }
    if (typeof options.tenantId !== 'string' || options.tenantId === '') {
      throw new TypeError('createChatClient: tenantId is required');
    }
    this.apiUrl = normalizeApiUrl(options.apiUrl);
    this.tenantId = options.tenantId;
    this.wsUrl = buildWsUrl(this.apiUrl, options.wsUrl, this.tenantId);
    this.title = options.title ?? DEFAULT_TITLE;
    this.loadHistoryOnJoin = options.loadHistory ?? true;
    const pageSize = Math.floor(options.historyPageSize ?? HISTORY_PAGE_SIZE);
    this.historyPageSize = Number.isFinite(pageSize) ? Math.min(MAX_HISTORY_PAGE_SIZE, Math.max(1, pageSize)) : HISTORY_PAGE_SIZE;
    this.maxAttempts = Math.max(0, options.reconnect?.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.backoff = {
      baseDelayMs: options.reconnect?.baseDelayMs ?? DEFAULT_BACKOFF.baseDelayMs,
      maxDelayMs: options.reconnect?.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs,
    };
    this.timers = options.timers ?? globalTimers();
    this.random = options.random ?? Math.random;
    this.storage = options.storage === undefined ? null : options.storage;
    this.lifecycle = options.lifecycle === undefined ? defaultLifecycle() : options.lifecycle;
    this.WebSocketCtor =
      options.WebSocket ?? ((globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket ?? undefined);
    this.fetchImpl = options.fetch ?? (typeof globalThis.fetch === 'function' ? globalThis.fetch.bind(globalThis) : undefined);
    this.tokens = new TokenProvider(options.token ?? null, options.getToken);
    this.explicitSessionId = options.sessionId;
    this.store = new SnapshotStore({
      connection: Object.freeze({ state: 'idle', code: null, reason: null, attempt: 0 }),
      chatId: null,
      messages: this.conversation.messages,
      isTyping: false,
      streamingContent: '',
      error: null,
      lastSeq: 0,
      hasOlder: false,
      isLoadingOlder: false,
    });
    this.watchdog = new HeartbeatWatchdog(
      this.timers,
      () => this.sendFrame({ type: 'ping', data: { ts: Date.now() } }),
      () => this.onDeadConnection(),
    );
    // Bound so they can be handed around (useSyncExternalStore, event handlers).
    this.subscribe = this.subscribe.bind(this);
    this.getSnapshot = this.getSnapshot.bind(this);
  }

  // -------------------------------------------------------------------------------------------
  // Public API

  connect(): Promise<void> {
    const state = this.state;
    if (state === 'ready') return Promise.resolve();
    const waiters = (this.waiters ??= createDeferred());
    if (!isActive(state)) this.begin();
    return waiters.promise;
  }

  send(text: string): Promise<SentMessage> {
    if (typeof text !== 'string' || text.trim() === '') {
      return Promise.reject(ChatApiError.fromCode('validation_error', 'Message text is required'));
    }
    if (text.length > MAX_MESSAGE_CHARS) {
      return Promise.reject(ChatApiError.fromCode('message_too_large', `Message longer than ${MAX_MESSAGE_CHARS} characters`));
    }
    if (this.state === 'closed') {
      return Promise.reject(ChatApiError.fromCode('not_joined', 'The chat client is closed'));
    }
    const clientMessageId = randomId(this.random);
    const promise = this.outbox.add(clientMessageId, text);
    const deliverNow = this.state === 'ready' && this.socket?.readyState === OPEN;
    this.conversation.addLocalUserMessage(clientMessageId, text, deliverNow ? 'sending' : 'queued', new Date().toISOString());
    if (deliverNow) this.deliver(clientMessageId, text);
    if (this.state === 'failed') {
      // Nothing will deliver it until retry(): settle the promise now, keep the message for retry().
      const { error, connection } = this.store.get();
      this.failOutbox('failed', { code: error?.code ?? 'service_unavailable', message: connection.reason ?? error?.message ?? 'the connection failed' });
      this.publish({});
    } else {
      this.publish({ error: null });
    }
    // A refused message is visible in the snapshot (status `error`); a caller that does not await
    // the promise must not get an unhandled rejection for it.
    promise.catch(() => {});
    return promise;
  }

  stop(): void {
    const reply = this.conversation.streamingReply;
    const chatId = this.store.get().chatId;
    if (!reply || !chatId || this.state !== 'ready') return;
    this.sendFrame({ type: 'stop_generation', data: { chat_id: chatId, message_id: reply.id } });
  }

  retry(): void {
    if (this.state !== 'failed') return;
    this.begin();
  }

  discard(clientMessageId: string): boolean {
    if (!this.outbox.discard(clientMessageId)) return false;
    this.conversation.removeLocal(clientMessageId);
    this.publish({});
    return true;
  }

  loadOlder(): Promise<void> {
    if (this.olderLoad) return this.olderLoad.promise;
    const snapshot = this.store.get();
    const chatId = snapshot.chatId;
    // Nothing to page through yet, or known to be complete.
    if (!chatId || this.state === 'closed' || (this.historyPageRead && !snapshot.hasOlder)) return Promise.resolve();
    const abort = new AbortController();
    // Started after `olderLoad` is set, so even a synchronous failure clears it.
    const promise = Promise.resolve().then(() => this.readOlderPage(chatId, abort.signal));
    // The outcome is in the snapshot (hasOlder, isLoadingOlder, error); ignoring the promise is fine.
    promise.catch(() => {});
    this.olderLoad = { promise, abort };
    this.publish({ isLoadingOlder: true });
    return promise;
  }

  close(): void {
    if (this.state === 'closed') return;
    this.abortRun();
    this.abortOlderLoad();
    this.clearReconnectTimer();
    this.dropSocket(CLOSE_CODES.normal, 'client closed');
    this.detachLifecycle?.();
    this.detachLifecycle = null;
    this.failOutbox('closed', null);
    this.transition('closed', CLOSE_CODES.normal, 'Closed by the client', { messages: this.conversation.messages });
    this.publish({});
    this.rejectWaiters(ChatApiError.fromCode('not_joined', 'The chat client was closed'));
  }

  subscribe(listener: SnapshotListener): () => void {
    return this.store.subscribe(listener);
  }

  getSnapshot(): ChatSnapshot {
    return this.store.get();
  }

  on<T extends ServerFrameType>(type: T, listener: ServerFrameListener<T>): () => void {
    let set = this.frameListeners.get(type);
    if (!set) {
      set = new Set();
      this.frameListeners.set(type, set);
    }
    set.add(listener as (frame: never) => void);
    return () => {
      set.delete(listener as (frame: never) => void);
    };
  }

  // -------------------------------------------------------------------------------------------
  // Connection lifecycle

  private get state(): ConnectionState {
    return this.store.get().connection.state;
  }

  /** Moves the state machine (when the table allows it), publishing `patch` in the same snapshot. */
  private transition(to: ConnectionState, code: number | null, reason: string | null, patch: Partial<ChatSnapshot> = {}): boolean {
    const from = this.state;
    if (!canTransition(from, to)) return false;
    this.store.update({ ...patch, connection: Object.freeze({ state: to, code, reason, attempt: this.attempt }) });
    return true;
  }

  /** Starts from idle, closed or failed: attempts reset, a fresh token will be asked for. */
  private begin(): void {
    this.attempt = 0;
    this.authRetryUsed = false;
    this.failedRetryable = false;
    this.tokens.invalidate();
    this.detachLifecycle ??= watchPageLifecycle(this.lifecycle, () => this.onWake());
    if (!this.transition('connecting', null, null)) return;
    // Messages the last failure or close() left undelivered go out again after the join, each
    // under its first client message id, so one the server had stored is not stored twice.
    for (const clientMessageId of this.outbox.requeueFailed()) {
      this.conversation.setPendingStatus(clientMessageId, 'queued');
    }
    this.publish({});
    void this.runAttempt();
  }

  private newRun(): AbortController {
    this.run?.abort(new Error('superseded'));
    this.run = new AbortController();
    return this.run;
  }

  private abortRun(): void {
    this.run?.abort(new Error('aborted'));
    this.run = null;
  }

  private restApi(): ChatRestApi {
    if (!this.api) {
      if (!this.fetchImpl) throw new ChatApiError({ code: 'service_unavailable', status: 0, retryable: false, message: 'No fetch available: pass options.fetch' });
      this.api = new ChatRestApi({
        apiUrl: this.apiUrl,
        tenantId: this.tenantId,
        fetch: this.fetchImpl,
        tokens: this.tokens,
        timers: this.timers,
        random: this.random,
        backoff: this.backoff,
        maxAttempts: Math.max(1, this.maxAttempts),
      });
    }
    return this.api;
  }

  private resolveSessionId(): string {
    if (this.sessionId) return this.sessionId;
    if (this.explicitSessionId) {
      this.sessionId = this.explicitSessionId;
    } else {
      this.sessionId = loadOrCreateSessionId(this.storage ?? defaultStorage(), this.tenantId, () => randomId(this.random));
    }
    return this.sessionId;
  }

  /**
   * `POST /api/v1/chat` with the session id. A stored session id that belongs to another visitor
   * (409 session_conflict: the visitor identity changed under it, e.g. a token lost or expired
   * beyond renewal) points at a chat this visitor can never reach: it is forgotten and a new
   * chat is created, once. A session id the application passed itself is its own decision and
   * is never replaced.
   */
  private async createOrResumeChat(signal: AbortSignal): Promise<{ id: string }> {
    const create = () => this.restApi().createChat({ sessionId: this.resolveSessionId(), title: this.title }, signal);
    try {
      return await create();
    } catch (error) {
      if (!(error instanceof ChatApiError) || error.code !== 'session_conflict' || this.explicitSessionId || signal.aborted) throw error;
      forgetSessionId(this.storage ?? defaultStorage(), this.tenantId);
      this.sessionId = null;
      return create();
    }
  }

  /** One attempt: create/resume the chat when it is not known yet, get a token, open the socket. */
  private async runAttempt(): Promise<void> {
    const run = this.newRun();
    if (!this.store.get().chatId) {
      try {
        const chat = await this.createOrResumeChat(run.signal);
        if (run.signal.aborted) return;
        this.publish({ chatId: chat.id });
      } catch (error) {
        if (run.signal.aborted) return;
        const apiError = error instanceof ChatApiError ? error : ChatApiError.network(error);
        // createChat already retried what is retryable; what reaches here is final for this attempt.
        this.fail(null, apiError.message, apiError, apiError.retryable);
        return;
      }
    }
    let token: string | null;
    try {
      token = await this.tokens.get();
    } catch (error) {
      if (run.signal.aborted) return;
      this.connectionLost(null, `getToken() failed: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    if (run.signal.aborted) return;
    this.openSocket(token);
  }

  private openSocket(token: string | null): void {
    if (!this.WebSocketCtor) {
      this.fail(null, 'No WebSocket implementation: pass options.WebSocket (the `ws` package in Node)', null, false);
      return;
    }
    const id = ++this.transportId;
    let ws: WebSocketLike;
    try {
      ws = new this.WebSocketCtor(this.wsUrl);
    } catch (error) {
      this.fail(null, `Cannot open the WebSocket: ${error instanceof Error ? error.message : String(error)}`, null, false);
      return;
    }
    this.socket = ws;
    this.joinToken = token;
    this.joinSent = false;
    this.watchdog.start();
    ws.onopen = () => {
      if (id === this.transportId) this.onOpen();
    };
    ws.onmessage = (event) => {
      if (id === this.transportId) this.onRawFrame(event.data);
    };
    ws.onclose = (event) => {
      if (id !== this.transportId) return;
      this.dropSocket();
      this.connectionLost(event.code, event.reason || describeClose(event.code));
    };
    ws.onerror = () => {
      // A close event follows every error; it carries the code that decides what to do.
    };
  }

  private onOpen(): void {
    this.transition('joining', null, null);
    this.joinTimer = this.timers.setTimeout(() => {
      this.joinTimer = null;
      this.sendJoin();
    }, JOIN_FALLBACK_MS);
  }

  private sendJoin(): void {
    if (this.joinSent || !this.socket || this.socket.readyState !== OPEN) return;
    this.joinSent = true;
    if (this.joinTimer !== null) this.timers.clearTimeout(this.joinTimer);
    this.joinTimer = this.timers.setTimeout(() => {
      this.joinTimer = null;
      if (this.state !== 'joining') return;
      this.dropSocket(CLOSE_CODES.normal, 'join timeout');
      this.connectionLost(null, 'No answer to join_chat');
    }, JOIN_RESPONSE_TIMEOUT_MS);
    const data: Record<string, unknown> = {
      chat_id: this.store.get().chatId,
      tenant_id: this.tenantId,
      token: this.joinToken,
      session_id: this.sessionId,
    };
    // After a first join the client knows the chat up to lastSeq (0 included): ask for the rest.
    if (this.joinedBefore) data.last_seq = this.lastSeq;
    this.sendFrame({ type: 'join_chat', data });
  }

  /** Forgets the current socket (its callbacks become no-ops) and closes it if still open. */
  private dropSocket(code?: number, reason?: string): void {
    const ws = this.socket;
    this.socket = null;
    this.transportId++;
    this.joinSent = false;
    this.watchdog.stop();
    if (this.joinTimer !== null) this.timers.clearTimeout(this.joinTimer);
    this.joinTimer = null;
    for (const clientMessageId of this.outbox.requeueInFlight()) {
      this.conversation.setPendingStatus(clientMessageId, 'queued');
    }
    if (ws && code !== undefined) {
      try {
        const terminate = (ws as { terminate?: () => void }).terminate;
        if (code !== CLOSE_CODES.normal && typeof terminate === 'function') terminate.call(ws);
        else ws.close(code, reason);
      } catch {
        // Closing a socket that is already closing may throw in some implementations.
      }
    }
  }

  private onDeadConnection(): void {
    if (!this.socket) return;
    this.dropSocket(HEARTBEAT_LOST_CLOSE_CODE, 'heartbeat timeout');
    this.connectionLost(CLOSE_CODES.abnormal, 'No frame from the server for two heartbeat intervals');
  }

  /** Decides, from the close code, between reconnecting and failing. */
  private connectionLost(code: number | null, reason: string): void {
    const state = this.state;
    if (state === 'closed' || state === 'failed' || state === 'idle') return;
    if (code === CLOSE_CODES.unauthorized) {
      if (this.tokens.canRefresh && !this.authRetryUsed) {
        this.authRetryUsed = true;
        this.tokens.invalidate();
        this.scheduleReconnect(code, reason, 0);
      } else {
        this.fail(code, reason, null, false);
      }
      return;
    }
    if (code !== null && !shouldReconnect(code)) {
      this.fail(code, reason, null, false);
      return;
    }
    this.attempt++;
    if (this.attempt > this.maxAttempts) {
      this.attempt = this.maxAttempts;
      this.fail(code, `Gave up after ${this.maxAttempts} reconnect attempts: ${reason}`, null, true);
      return;
    }
    this.scheduleReconnect(code, reason, fullJitterDelay(this.attempt, this.backoff, this.random));
  }

  private scheduleReconnect(code: number | null, reason: string, delayMs: number): void {
    this.clearReconnectTimer();
    this.abortRun();
    if (!this.transition('reconnecting', code, reason)) return;
    this.publish({});
    this.reconnectTimer = this.timers.setTimeout(() => {
      this.reconnectTimer = null;
      this.reconnectNow();
    }, delayMs);
  }

  private reconnectNow(): void {
    if (this.state !== 'reconnecting') return;
    this.clearReconnectTimer();
    if (this.transition('connecting', null, null)) void this.runAttempt();
  }

  private clearReconnectTimer(): void {
    if (this.reconnectTimer !== null) this.timers.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  /**
   * Ends in `failed`. Unacknowledged messages are rejected (UndeliveredMessageError) and shown as
   * `failed`, but kept: `retry()` delivers them.
   */
  private fail(code: number | null, reason: string, error: ChatApiError | null, retryable: boolean): void {
    if (!canTransition(this.state, 'failed')) return;
    this.abortRun();
    this.clearReconnectTimer();
    if (this.socket) this.dropSocket(CLOSE_CODES.normal, 'client giving up');
    this.failedRetryable = retryable;
    // An error frame that preceded a terminal close explains it best; giving up after transient
    // losses is reported as such.
    const reported =
      error ??
      (!retryable ? this.store.get().error : null) ??
      ChatApiError.fromCode(code !== null && !retryable ? (closeCodeError(code) ?? 'service_unavailable') : 'service_unavailable', reason);
    // In the same snapshot as the state: a UI never shows `failed` with messages still `queued`.
    this.failOutbox('failed', { code: reported.code, message: reason });
    const streaming = this.conversation.streamingReply;
    this.transition('failed', code, reason, {
      messages: this.conversation.messages,
      isTyping: streaming !== null,
      streamingContent: streaming?.content ?? '',
      error: Object.freeze({ code: reported.code, message: reported.message }),
    });
    this.rejectWaiters(
      error ?? new ChatApiError({ code: reported.code, status: 0, retryable, message: reason }),
    );
  }

  /**
   * Rejects every send() still waiting, because nothing will deliver it until an explicit
   * `retry()` / `connect()`: with the failure's code (the snapshot's error) or `not_joined` for a
   * close. The messages stay in the outbox and show as `failed`.
   */
  private failOutbox(clientState: 'failed' | 'closed', failure: { code: string; message: string } | null): void {
    const template =
      clientState === 'closed' || !failure
        ? ChatApiError.fromCode('not_joined', 'The chat client was closed before the message was delivered')
        : ChatApiError.fromCode(failure.code, `Not delivered: ${failure.message}`);
    const failed = this.outbox.failAll(
      (id) => new UndeliveredMessageError(id, clientState, { code: template.code, status: template.status, retryable: true, message: template.message }),
    );
    for (const clientMessageId of failed) this.conversation.setPendingStatus(clientMessageId, 'failed', template.code);
  }

  private rejectWaiters(error: ChatApiError): void {
    const waiters = this.waiters;
    this.waiters = null;
    waiters?.reject(error);
  }

  /** `online`, `pageshow`, tab visible again. */
  private onWake(): void {
    const state = this.state;
    if (state === 'reconnecting') this.reconnectNow();
    else if (state === 'failed' && this.failedRetryable) this.retry();
    else if (state === 'ready') this.sendFrame({ type: 'ping', data: { ts: Date.now() } });
  }

  // -------------------------------------------------------------------------------------------
  // Frames

  private sendFrame(frame: { type: string; data: Record<string, unknown> }): boolean {
    const ws = this.socket;
    if (!ws || ws.readyState !== OPEN) return false;
    try {
      ws.send(JSON.stringify(frame));
      return true;
    } catch {
      return false;
    }
  }

  private deliver(clientMessageId: string, text: string): void {
    const chatId = this.store.get().chatId;
    if (this.sendFrame({ type: 'user_message', data: { chat_id: chatId, text, client_message_id: clientMessageId } })) {
      this.outbox.markInFlight(clientMessageId);
    }
  }

  private flushOutbox(): void {
    for (const entry of this.outbox.queued()) {
      this.deliver(entry.clientMessageId, entry.text);
      if (entry.state === 'in_flight') this.conversation.setPendingStatus(entry.clientMessageId, 'sending');
    }
  }

  private onRawFrame(raw: unknown): void {
    this.watchdog.beat();
    if (typeof raw !== 'string') return; // the platform sends text frames only
    let frame: unknown;
    try {
      frame = JSON.parse(raw);
    } catch {
      return;
    }
    if (!isRecord(frame) || typeof frame.type !== 'string') return;
    if (!isRecord(frame.data)) frame.data = {};
    this.onFrame(frame as unknown as ServerFrame);
  }

  private onFrame(frame: ServerFrame): void {
    const type = frame.type;
    if (CHAT_EVENT_TYPES.has(type)) {
      const chatId = this.store.get().chatId;
      const frameChat = frame.chat_id ?? (frame.data as { chat_id?: unknown }).chat_id;
      if (chatId && typeof frameChat === 'string' && frameChat !== chatId) return;
      if (typeof frame.seq === 'number') {
        if (frame.seq <= this.lastSeq) return; // replayed twice: already applied
        this.lastSeq = frame.seq;
      }
    }
    switch (type) {
      case 'ping':
        this.sendFrame({ type: 'pong', data: { ts: typeof frame.data.ts === 'number' ? frame.data.ts : Date.now() } });
        break;
      case 'connection_ready': {
        const interval = (frame.data as ConnectionReadyData).heartbeat_interval_ms;
        if (typeof interval === 'number') this.watchdog.setInterval(interval);
        this.sendJoin();
        break;
      }
      case 'chat_joined':
        this.onJoined(frame.data as ChatJoinedData, frame.chat_id);
        break;
      case 'message_received':
        this.onMessageReceived(frame.data as MessageReceivedData);
        break;
      case 'processing':
      case 'response_start': {
        const data = frame.data as ProcessingData;
        if (typeof data.message_id === 'string') {
          this.conversation.startReply(data.message_id, data.user_message_id ?? null, this.frameTime(frame));
        }
        break;
      }
      case 'response_chunk': {
        const data = frame.data as ResponseChunkData;
        if (typeof data.message_id === 'string') this.conversation.appendChunk(data, this.frameTime(frame));
        break;
      }
      case 'response_complete': {
        const data = frame.data as ResponseCompleteData;
        if (typeof data.message_id === 'string') this.conversation.completeReply(data, this.frameTime(frame));
        break;
      }
      case 'error':
        this.onErrorFrame(frame.data as ErrorData);
        break;
      default:
        break;
    }
    this.publish({});
    this.emit(frame);
  }

  private frameTime(frame: ServerFrame): string {
    return new Date(typeof frame.event_ts === 'number' ? frame.event_ts : Date.now()).toISOString();
  }

  private onJoined(data: ChatJoinedData, topLevelChatId: string | undefined): void {
    if (this.state !== 'joining') return;
    const chatId = typeof data.chat_id === 'string' ? data.chat_id : topLevelChatId;
    if (chatId && chatId !== this.store.get().chatId) {
      this.lastSeq = 0; // seqs are per chat
      this.joinedBefore = false;
      this.resetHistoryPaging();
      this.publish({ chatId, hasOlder: false });
    }
    // Nothing before the server's last_seq will be replayed: history covers it.
    if (!data.resumed || data.history_reload_required) {
      if (typeof data.last_seq === 'number' && data.last_seq > this.lastSeq) this.lastSeq = data.last_seq;
    }
    if (this.joinTimer !== null) this.timers.clearTimeout(this.joinTimer);
    this.joinTimer = null;
    this.attempt = 0;
    this.authRetryUsed = false;
    this.failedRetryable = false;
    this.joinedBefore = true;
    this.transition('ready', null, null);
    this.flushOutbox();
    this.publish({ error: null });
    const waiters = this.waiters;
    this.waiters = null;
    waiters?.resolve();
    if (this.loadHistoryOnJoin) void this.loadHistory();
  }

  private async loadHistory(): Promise<void> {
    const chatId = this.store.get().chatId;
    const run = this.run;
    if (!chatId || !run) return;
    const generation = ++this.historyGeneration;
    let page;
    try {
      page = await this.restApi().listMessages(chatId, { limit: this.historyPageSize }, run.signal);
    } catch {
      // History is a convenience on top of the live stream; a failed load leaves what we have.
      return;
    }
    if (run.signal.aborted || generation !== this.historyGeneration || chatId !== this.store.get().chatId) return;
    const hadHistory = this.historyPageRead && this.conversation.hasServerMessages();
    const overlaps = page.items.some((item) => this.conversation.hasServerMessage(item.id));
    const { acknowledged } = this.conversation.mergeHistory(page.items);
    this.settleAcknowledged(acknowledged, chatId);
    if (!this.historyPageRead && !this.olderLoad) {
      this.historyPageRead = true;
      this.olderCursor = page.nextCursor;
      this.publish({ hasOlder: page.hasMore });
    } else {
      this.publish({});
    }
    // More messages than a page arrived while we were away (and the replay window did not cover
    // them): the newest page does not reach what we had. Read back until it does, so no message
    // is missing in the middle of the conversation.
    if (hadHistory && !overlaps && page.hasMore) {
      await this.fillHistoryGap(chatId, page.nextCursor, run.signal, generation);
    }
  }

  private async fillHistoryGap(chatId: string, cursor: string | null, signal: AbortSignal, generation: number): Promise<void> {
    for (let pages = 0; cursor && pages < MAX_GAP_PAGES; pages++) {
      let page;
      try {
        page = await this.restApi().listMessages(chatId, { limit: this.historyPageSize, before: cursor }, signal);
      } catch {
        return;
      }
      if (signal.aborted || generation !== this.historyGeneration || chatId !== this.store.get().chatId) return;
      const overlaps = page.items.some((item) => this.conversation.hasServerMessage(item.id));
      const { acknowledged } = this.conversation.mergeOlder(page.items, cursor);
      this.settleAcknowledged(acknowledged, chatId);
      this.publish({});
      if (overlaps || !page.hasMore) return;
      cursor = page.nextCursor;
    }
  }

  /** One page before the oldest message read so far (the newest page when none was read). */
  private async readOlderPage(chatId: string, signal: AbortSignal): Promise<void> {
    const before = this.historyPageRead ? this.olderCursor : null;
    try {
      const page = await this.restApi().listMessages(chatId, { limit: this.historyPageSize, before }, signal);
      if (signal.aborted) throw signal.reason;
      const { acknowledged } =
        before === null ? this.conversation.mergeHistory(page.items) : this.conversation.mergeOlder(page.items, before);
      this.settleAcknowledged(acknowledged, chatId);
      this.historyPageRead = true;
      this.olderCursor = page.nextCursor;
      this.olderLoad = null;
      this.publish({ hasOlder: page.hasMore, isLoadingOlder: false });
    } catch (error) {
      if (signal.aborted) {
        // close() or another chat: the page belongs to nothing any more; state was reset there.
        throw ChatApiError.fromCode('not_joined', 'History paging was cancelled (client closed or chat changed)');
      }
      this.olderLoad = null;
      const apiError = error instanceof ChatApiError ? error : ChatApiError.network(error);
      this.publish({ isLoadingOlder: false, error: Object.freeze({ code: apiError.code, message: apiError.message }) });
      throw apiError;
    }
  }

  private abortOlderLoad(): void {
    const load = this.olderLoad;
    this.olderLoad = null;
    load?.abort.abort(new Error('aborted'));
    if (load) this.store.update({ isLoadingOlder: false });
  }

  private resetHistoryPaging(): void {
    this.abortOlderLoad();
    this.olderCursor = null;
    this.historyPageRead = false;
  }

  private settleAcknowledged(acknowledged: readonly ChatMessage[], chatId: string): void {
    for (const message of acknowledged) {
      if (message.clientMessageId) this.outbox.settle(message.clientMessageId, this.toSent(message, chatId, true));
    }
  }

  private onMessageReceived(data: MessageReceivedData): void {
    const message = this.conversation.acknowledge(data);
    const clientMessageId = data.client_message_id;
    if (message && clientMessageId) {
      this.outbox.settle(clientMessageId, this.toSent(message, data.chat_id ?? this.store.get().chatId ?? '', data.duplicate === true));
    }
  }

  private toSent(message: ChatMessage, chatId: string, duplicate: boolean): SentMessage {
    return {
      id: message.id,
      clientMessageId: message.clientMessageId ?? '',
      chatId,
      content: message.content,
      createdAt: message.createdAt,
      duplicate,
    };
  }

  private onErrorFrame(data: ErrorData): void {
    const code = typeof data.code === 'string' ? data.code : 'internal_error';
    const message = typeof data.message === 'string' ? data.message : code;
    const extra: { retryable?: boolean; retryAfter?: number } = {};
    if (typeof data.retryable === 'boolean') extra.retryable = data.retryable;
    if (typeof data.retry_after === 'number') extra.retryAfter = data.retry_after;
    const error = ChatApiError.fromCode(code, message, extra);
    const bag = data as unknown as Record<string, unknown>;
    const named = typeof bag.client_message_id === 'string' ? bag.client_message_id : null;
    const messageId = typeof data.message_id === 'string' ? data.message_id : null;
    let rejected: string | null = null;
    if (named && this.outbox.has(named)) rejected = named;
    else if (messageId && this.outbox.has(messageId)) rejected = messageId;
    else if (messageId && this.conversation.hasReply(messageId)) this.conversation.markReplyError(messageId, code);
    else if (SEND_REJECTION_CODES.has(code)) rejected = this.outbox.oldestInFlight()?.clientMessageId ?? null;
    if (rejected) {
      this.outbox.reject(rejected, error);
      this.conversation.setPendingStatus(rejected, 'error', code);
    }
    this.store.update({ error: Object.freeze({ code, message }) });
    if (this.state === 'joining' && this.joinSent) this.onJoinRefused(error);
  }

  /**
   * An `error` frame answering our join_chat. When the code's table entry closes the socket the
   * close code decides; otherwise the server keeps the socket open and we act on the code.
   */
  private onJoinRefused(error: ChatApiError): void {
    if (error.code === 'chat_not_found') {
      // The stored chat is gone (e.g. a wiped database): create/resume it again on the next attempt.
      this.lastSeq = 0;
      this.joinedBefore = false;
      this.resetHistoryPaging();
      this.publish({ chatId: null, hasOlder: false });
      this.dropSocket(CLOSE_CODES.normal, 'chat not found');
      this.connectionLost(null, error.message);
      return;
    }
    if (isErrorCode(error.code) && ERROR_CODES[error.code].close !== null) return;
    this.dropSocket(CLOSE_CODES.normal, 'join refused');
    if (error.retryable) this.connectionLost(null, error.message);
    else this.fail(null, error.message, error, false);
  }

  private emit(frame: ServerFrame): void {
    const listeners = this.frameListeners.get(frame.type);
    if (!listeners) return;
    for (const listener of [...listeners]) {
      try {
        (listener as (frame: ServerFrame) => void)(frame);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /** Publishes the conversation's current state plus `patch` as one snapshot change. */
  private publish(patch: Partial<ChatSnapshot>): void {
    const streaming = this.conversation.streamingReply;
    this.store.update({
      messages: this.conversation.messages,
      isTyping: streaming !== null,
      streamingContent: streaming?.content ?? '',
      lastSeq: this.lastSeq,
      ...patch,
    });
  }
}
