import { SESSION_STORAGE_KEY, UndeliveredMessageError } from '@miptech/client';
import type { ChatClientPort, ChatMessage, ChatSnapshot, ConnectionState } from './chat-client-port.ts';
import type { EmbedOptions } from './embed-options.ts';
import { EventHub } from './event-hub.ts';
import { prefixedStorage, type KeyValueStorage } from './safe-storage.ts';
import { pickLanguage, stringsFor, type Language, type Strings } from './strings.ts';
import { createVisitorTokenSource, type VisitorTokenSource } from './visitor-token-source.ts';
import { DEFAULT_WIDGET_CONFIG, loadWidgetConfig, type ResolvedWidgetConfig } from './widget-config.ts';

/** Events of the public JS API, `MIPTechChat.on(type, callback)`. */
export interface WidgetEvents {
  /** The widget is on the page with the tenant's look. */
  ready: { tenantId: string; language: Language };
  open: undefined;
  close: undefined;
  /** The visitor sent a message. */
  message: { text: string };
  /** An answer finished (also when stopped or failed: see `status`). */
  answer: { id: string; content: string; status: ChatMessage['status']; sources: ChatMessage['sources'] };
  /** The connection state changed. */
  connection: { state: ConnectionState; code: number | null; reason: string | null };
  error: { code: string | null; message: string };
}

/** Everything the UI renders. Replaced (never mutated) on every change. */
export interface WidgetViewState {
  /** False until the tenant config has been loaded (or given up on): the launcher waits for it. */
  loaded: boolean;
  open: boolean;
  config: ResolvedWidgetConfig;
  language: Language;
  strings: Strings;
  /** Answers that finished while the panel was closed. */
  unread: number;
  /** The browser's own idea of being online (`navigator.onLine`). */
  online: boolean;
  /** null until the first open creates the client. */
  chat: ChatSnapshot | null;
}

export interface CreateClientOptions {
  getToken: () => Promise<string>;
  /** Namespaced per tenant and identity: the client keeps its session id here. */
  storage: KeyValueStorage;
}

export interface WidgetControllerOptions {
  embed: EmbedOptions;
  createClient: (options: CreateClientOptions) => ChatClientPort;
  localStorage: KeyValueStorage;
  sessionStorage: KeyValueStorage;
  /** `<html lang>` of the host page. */
  pageLanguage?: string | null;
  /** `navigator.language`. */
  browserLanguage?: string | null;
  online?: boolean;
  fetch?: typeof fetch;
}

const TERMINAL: ReadonlySet<ChatMessage['status']> = new Set(['complete', 'stopped', 'error', 'interrupted']);

/**
 * The widget without its UI: loads the tenant config, owns the chat client (created on the first
 * open, so page views that never open the chat cost the platform nothing), keeps the open state
 * across reloads and turns client snapshots into the public events.
 */
export class WidgetController {
  readonly events = new EventHub<WidgetEvents>();
  private state: WidgetViewState;
  private readonly listeners = new Set<() => void>();
  private readonly tokens: VisitorTokenSource;
  private readonly openKey: string;
  private client: ChatClientPort | null = null;
  /** Where the current client keeps its session id. */
  private clientStorage: KeyValueStorage | null = null;
  /** The session-conflict recovery runs once per page: it must never loop. */
  private conflictRecovered = false;
  private detachClient: (() => void) | null = null;
  private previous: ChatSnapshot | null = null;
  private readonly streamingSeen = new Set<string>();
  private readonly answered = new Set<string>();

  constructor(private readonly options: WidgetControllerOptions) {
    const language = this.pickLanguage(null);
    this.state = {
      loaded: false,
      open: false,
      config: DEFAULT_WIDGET_CONFIG,
      language,
      strings: stringsFor(language),
      unread: 0,
      online: options.online ?? true,
      chat: null,
    };
    const tenantPrefix = `miptech:${options.embed.tenantId}:`;
    this.openKey = `${tenantPrefix}open`;
    this.tokens = createVisitorTokenSource({
      apiUrl: options.embed.apiUrl,
      tenantId: options.embed.tenantId,
      publishableKey: options.embed.publishableKey,
      storage: prefixedStorage(options.localStorage, tenantPrefix),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  /** Loads the tenant config, shows the launcher and reopens the panel if it was open before a reload. */
  async start(): Promise<void> {
    const config = await loadWidgetConfig(this.options.embed.apiUrl, this.options.embed.tenantId, this.options.fetch);
    const language = this.pickLanguage(config.language);
    this.update({ loaded: true, config, language, strings: stringsFor(language) });
    this.events.emit('ready', { tenantId: this.options.embed.tenantId, language });
    if (this.options.sessionStorage.getItem(this.openKey) === '1') this.open();
  }

  getState = (): WidgetViewState => this.state;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  open(): void {
    this.ensureClient();
    if (this.state.open) return;
    this.options.sessionStorage.setItem(this.openKey, '1');
    this.update({ open: true, unread: 0 });
    this.events.emit('open', undefined);
  }

  close(): void {
    if (!this.state.open) return;
    this.options.sessionStorage.removeItem(this.openKey);
    this.update({ open: false });
    this.events.emit('close', undefined);
  }

  toggle(): void {
    if (this.state.open) this.close();
    else this.open();
  }

  /** Sends a visitor message; failures show on the message and as an `error` event, never as a throw. */
  send(text: string): void {
    const trimmed = text.trim();
    if (trimmed === '') return;
    const client = this.ensureClient();
    this.events.emit('message', { text: trimmed });
    client.send(trimmed).catch((error: unknown) => {
      if (client !== this.client) return; // a replaced client rejects its sends; they were carried over
      // Not delivered because the client failed or closed: the connection state already says so,
      // the message shows as `failed` and a retry resends it.
      if (error instanceof UndeliveredMessageError) return;
      const record = error as { code?: unknown; message?: unknown } | null;
      this.events.emit('error', {
        code: typeof record?.code === 'string' ? record.code : null,
        message: typeof record?.message === 'string' ? record.message : String(error),
      });
    });
  }

  stop(): void {
    void this.client?.stop();
  }

  /** Starts over after a terminal state: `retry()` from failed, a new `connect()` after closed. */
  retry(): void {
    if (!this.client) {
      this.ensureClient();
      return;
    }
    const client = this.client;
    if (client.getSnapshot().connection.state === 'closed') void client.connect().catch(() => undefined);
    else client.retry();
  }

  /**
   * Switches to the host page's own visitor token (a signed-in user) — or back to an anonymous
   * visitor with `null`. A different identity means a different conversation, so the client is
   * recreated with storage of its own.
   */
  identify(token: string | null): void {
    if ((token?.trim() || null) === this.tokens.identifiedToken()) return;
    this.tokens.identify(token);
    if (this.client) {
      this.disposeClient();
      this.ensureClient();
    }
  }

  setOnline(online: boolean): void {
    if (online !== this.state.online) this.update({ online });
  }

  destroy(): void {
    this.disposeClient();
    this.listeners.clear();
  }

  private ensureClient(): ChatClientPort {
    if (this.client) return this.client;
    const identity = this.tokens.identifiedToken();
    const scope = identity ? `user:${tokenSubject(identity)}:` : 'visitor:';
    const storage = prefixedStorage(this.options.localStorage, `miptech:${this.options.embed.tenantId}:${scope}`);
    const client = this.options.createClient({ getToken: () => this.tokens.getToken(), storage });
    this.client = client;
    this.clientStorage = storage;
    this.previous = null;
    this.detachClient = client.subscribe(() => this.onSnapshot(client));
    this.onSnapshot(client);
    void Promise.resolve()
      .then(() => client.connect())
      .catch(() => undefined); // the failure is in the snapshot's connection state
    return client;
  }

  private disposeClient(): void {
    this.detachClient?.();
    this.detachClient = null;
    this.client?.close();
    this.client = null;
    this.previous = null;
    this.streamingSeen.clear();
    this.update({ chat: null });
  }

  private onSnapshot(client: ChatClientPort): void {
    if (client !== this.client) return; // a late callback from a disposed client
    const snapshot = client.getSnapshot();
    const previous = this.previous;
    this.previous = snapshot;
    if (snapshot === previous) return;
    if (this.recoverFromSessionConflict(snapshot)) return;

    const connection = snapshot.connection;
    if (!previous || previous.connection.state !== connection.state) {
      this.events.emit('connection', { state: connection.state, code: connection.code, reason: connection.reason });
    }
    if (snapshot.error && snapshot.error !== previous?.error) this.events.emit('error', snapshot.error);

    let finished = 0;
    for (const message of snapshot.messages) {
      if (message.role !== 'assistant') continue;
      if (!TERMINAL.has(message.status)) {
        this.streamingSeen.add(message.id);
        continue;
      }
      // History loaded on (re)join is not news; an answer we watched stream (or that arrived while
      // the assistant was typing) is.
      const watched = this.streamingSeen.has(message.id) || (previous?.isTyping === true && !previous.messages.some((m) => m.id === message.id));
      if (!watched || this.answered.has(message.id)) continue;
      this.answered.add(message.id);
      finished += 1;
      this.events.emit('answer', { id: message.id, content: message.content, status: message.status, sources: message.sources });
    }
    this.update({ chat: snapshot, unread: this.state.open ? 0 : this.state.unread + finished });
  }

  /**
   * The stored session belongs to another visitor: the visitor identity changed under it (the
   * visitor token was lost or expired beyond renewal). That chat is out of reach for good, so start
   * a new session with a new client and hand it the messages that were never delivered.
   */
  private recoverFromSessionConflict(snapshot: ChatSnapshot): boolean {
    if (snapshot.connection.state !== 'failed' || snapshot.error?.code !== 'session_conflict' || this.conflictRecovered) return false;
    this.conflictRecovered = true;
    const undelivered = snapshot.messages.filter((m) => m.role === 'user' && (m.status === 'queued' || m.status === 'sending' || m.status === 'failed')).map((m) => m.content);
    this.clientStorage?.removeItem(SESSION_STORAGE_KEY);
    this.disposeClient();
    const client = this.ensureClient();
    for (const text of undelivered) client.send(text).catch(() => undefined);
    return true;
  }

  private pickLanguage(configLanguage: string | null): Language {
    return pickLanguage(this.options.embed.language, this.options.pageLanguage, configLanguage, this.options.browserLanguage);
  }

  private update(patch: Partial<WidgetViewState>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of [...this.listeners]) listener();
  }
}

/**
 * The `sub` claim of a JWT, read without verifying it: only used to keep separate storage per signed-in
 * user, never to trust anything. Falls back to a hash of the token.
 */
function tokenSubject(token: string): string {
  try {
    const payload = token.split('.')[1] ?? '';
    const json = JSON.parse(atob(payload.replace(/-/g, '+').replace(/_/g, '/'))) as { sub?: unknown };
    if (typeof json.sub === 'string' && json.sub !== '') return json.sub;
  } catch {
    // not a JWT: fall through
  }
  let hash = 0;
  for (let index = 0; index < token.length; index += 1) hash = (Math.imul(hash, 31) + token.charCodeAt(index)) | 0;
  return `t${(hash >>> 0).toString(36)}`;
}
