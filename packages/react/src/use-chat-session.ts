/**
 * `useChatSession` — the guide's hook, rebuilt on the @miptech/client store.
 *
 * - State comes from `useSyncExternalStore(client.subscribe, client.getSnapshot)`: no copies in
 *   useState, so no handler can read a stale `streamingContent` (the guide's response_complete bug).
 * - Callbacks and the token are read from a ref at the moment they are needed: a re-render with a
 *   new `token`/`getToken` is seen by the next join without reconnecting.
 * - StrictMode-safe: the effect's cleanup closes the client one macrotask later, and the immediate
 *   re-mount cancels that close, so a development double mount opens one socket, not two; a real
 *   unmount closes it.
 */
import { useCallback, useEffect, useMemo, useRef, useSyncExternalStore } from 'react';
import {
  createChatClient,
  readJwtClaims,
  type ChatClient,
  type ChatClientOptions,
  type ChatError,
  type ChatMessage,
  type ConnectionInfo,
  type ConnectionState,
  type SentMessage,
} from '@miptech/client';

export interface UseChatSessionOptions {
  /** A fixed token; a new value is used from the next join on. */
  token?: string | null;
  /** Called when a token is needed (first connect, expiry, 4401); the latest function is used. */
  getToken?: () => string | null | Promise<string | null>;
  /** @default window.location.origin */
  apiUrl?: string;
  /** @default derived from apiUrl */
  wsUrl?: string;
  /**
   * @default the `tenant_id` claim of `token`, else `miptech-company` (the guide's default tenant,
   * which is also the platform's default tenant), so the guide's `useChatSession({ token })` works.
   */
  tenantId?: string;
  /** Use this client instead of creating one (the hook then neither creates nor closes it). */
  client?: ChatClient;
  /**
   * Further options for the client the hook creates (storage, reconnect, WebSocket, …). Read when
   * the client is created; changing apiUrl, wsUrl or tenantId creates a new client.
   */
  clientOptions?: Partial<ChatClientOptions>;
}

export interface ChatSession {
  /** The connection state (`idle`, `connecting`, `joining`, `ready`, `reconnecting`, `closed`, `failed`). */
  status: ConnectionState;
  chatId: string | null;
  messages: readonly ChatMessage[];
  error: ChatError | null;
  isTyping: boolean;
  streamingContent: string;
  /**
   * Sends (or queues while not ready) a message; resolves with the server's acknowledgement.
   * Rejects when the server refuses it, or with an UndeliveredMessageError when the session fails
   * or closes first (the message then shows as `failed` and `retry()` resends it).
   */
  sendMessage(text: string): Promise<SentMessage>;
  /** Stops the answer being generated. */
  stop(): void;
  /** Starts over after `failed`, resending the `failed` messages (same client message ids). */
  retry(): void;
  /** Drops a `failed` message so no retry resends it (see ChatClient.discard). */
  discard(clientMessageId: string): boolean;
  /** Loads the page of history before the oldest message shown (see ChatClient.loadOlder). */
  loadOlder(): Promise<void>;
  /** The server has older messages than the oldest one shown. */
  hasOlder: boolean;
  /** An older page is being read. */
  isLoadingOlder: boolean;
  /** State with the close code, reason and reconnect attempt. */
  connection: ConnectionInfo;
  /** The underlying client (for `on(eventType, …)` and anything else). */
  client: ChatClient;
}

/** Clients whose close is pending after an effect cleanup (cancelled by a re-mount). */
const pendingCloses = new WeakMap<ChatClient, ReturnType<typeof setTimeout>>();

/** The guide's `ENV.TENANT_ID` default and the platform's DEFAULT_TENANT_ID. */
export const DEFAULT_TENANT_ID = 'miptech-company';

function tenantOfToken(token: string | null | undefined): string | undefined {
  const claim = token ? readJwtClaims(token)?.tenant_id : undefined;
  return typeof claim === 'string' && claim !== '' ? claim : undefined;
}

function defaultApiUrl(): string | undefined {
  const location = (globalThis as { location?: { origin?: string } }).location;
  return location?.origin && location.origin !== 'null' ? location.origin : undefined;
}

export function useChatSession(options: UseChatSessionOptions): ChatSession {
  const latest = useRef(options);
  latest.current = options;

  const apiUrl = options.apiUrl ?? defaultApiUrl();
  const { wsUrl } = options;
  const tenantId = options.tenantId ?? tenantOfToken(options.token) ?? DEFAULT_TENANT_ID;
  const external = options.client ?? null;

  const owned = useMemo<ChatClient | null>(() => {
    if (external) return null;
    if (!apiUrl) throw new Error('useChatSession: pass apiUrl (there is no window.location to default to), or a client');
    // Creating a client has no side effects (nothing happens before connect()), so React may
    // call this twice in StrictMode and drop one result.
    return createChatClient({
      ...latest.current.clientOptions,
      apiUrl,
      tenantId,
      ...(wsUrl ? { wsUrl } : {}),
      getToken: () => {
        const current = latest.current;
        return current.getToken ? current.getToken() : (current.token ?? null);
      },
    });
  }, [external, apiUrl, wsUrl, tenantId]);

  const client = external ?? owned!;

  useEffect(() => {
    const pending = pendingCloses.get(client);
    if (pending !== undefined) {
      clearTimeout(pending);
      pendingCloses.delete(client);
    }
    void client.connect();
    if (!owned) return undefined;
    return () => {
      pendingCloses.set(
        owned,
        setTimeout(() => {
          pendingCloses.delete(owned);
          owned.close();
        }, 0),
      );
    };
  }, [client, owned]);

  // A new token value after a failure (e.g. it arrived after the first attempt): try again with it.
  // Only the `token` value counts: an inline getToken is a new function on every render, and
  // retrying on every render of a failed session would loop.
  useEffect(() => {
    if (owned && owned.getSnapshot().connection.state === 'failed') owned.retry();
  }, [owned, options.token]);

  const snapshot = useSyncExternalStore(client.subscribe, client.getSnapshot, client.getSnapshot);

  const sendMessage = useCallback((text: string) => client.send(text), [client]);
  const stop = useCallback(() => client.stop(), [client]);
  const retry = useCallback(() => client.retry(), [client]);
  const discard = useCallback((clientMessageId: string) => client.discard(clientMessageId), [client]);
  const loadOlder = useCallback(() => client.loadOlder(), [client]);

  return {
    status: snapshot.connection.state,
    chatId: snapshot.chatId,
    messages: snapshot.messages,
    error: snapshot.error,
    isTyping: snapshot.isTyping,
    streamingContent: snapshot.streamingContent,
    sendMessage,
    stop,
    retry,
    discard,
    loadOlder,
    hasOlder: snapshot.hasOlder,
    isLoadingOlder: snapshot.isLoadingOlder,
    connection: snapshot.connection,
    client,
  };
}
