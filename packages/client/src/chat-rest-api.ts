/**
 * The two REST calls the SDK makes: create-or-resume the chat and read its history. Headers follow
 * the guide (§2): `X-Tenant-ID`, `Authorization: Bearer` when there is a token.
 *
 * Creation retries what the protocol table marks retryable (db_not_ready, schema_unavailable,
 * rate_limited, 5xx, network errors) with capped full-jitter backoff, honouring `retry_after`; a
 * 401 with a refreshable token is retried once with a fresh one. Everything else is final.
 */
import type { ChatResource, MessageResource, Page } from '@miptech/protocol';
import { AUTH_ERROR_CODES, isErrorCode } from '@miptech/protocol';
import type { TimersLike } from './chat-client-options.ts';
import type { BackoffSettings } from './backoff.ts';
import { fullJitterDelay } from './backoff.ts';
import { abortableSleep } from './abortable-sleep.ts';
import { ChatApiError } from './chat-api-error.ts';
import type { TokenProvider } from './token-provider.ts';

export interface ChatRestApiDeps {
  apiUrl: string;
  tenantId: string;
  fetch: typeof fetch;
  tokens: TokenProvider;
  timers: TimersLike;
  random: () => number;
  backoff: BackoffSettings;
  maxAttempts: number;
}

export interface CreateChatInput {
  sessionId: string;
  title: string;
}

/** How many history messages one (re)join or `loadOlder()` reads by default (the server allows 1–200). */
export const HISTORY_PAGE_SIZE = 100;
export const MAX_HISTORY_PAGE_SIZE = 200;

/** One page of `GET /api/v1/chat/{id}/messages`, oldest first. */
export interface HistoryPage {
  items: MessageResource[];
  /** The server has messages older than `items[0]`. */
  hasMore: boolean;
  /** Pass as `before` for the previous page; null when there is none. */
  nextCursor: string | null;
}

export class ChatRestApi {
  constructor(private readonly deps: ChatRestApiDeps) {}

  /** `POST /api/v1/chat`: the same `session_id` always yields the same chat. */
  async createChat(input: CreateChatInput, signal: AbortSignal): Promise<ChatResource> {
    const body = JSON.stringify({ title: input.title, tenant_id: this.deps.tenantId, session_id: input.sessionId });
    const resource = await this.withRetry(signal, () => this.request<ChatResource>('POST', '/api/v1/chat', body, signal));
    const id = resource?.chat_id ?? resource?.id;
    if (typeof id !== 'string' || id === '') {
      throw new ChatApiError({ code: 'internal_error', status: 200, retryable: false, message: 'Chat creation answered without an id' });
    }
    return { ...resource, id, chat_id: id };
  }

  /**
   * `GET /api/v1/chat/{id}/messages`: the newest `limit` messages created before the message
   * `before` (the most recent page without it), oldest first.
   */
  async listMessages(chatId: string, query: { limit: number; before?: string | null }, signal: AbortSignal): Promise<HistoryPage> {
    const params = new URLSearchParams({ limit: String(query.limit) });
    if (query.before) params.set('before', query.before);
    const path = `/api/v1/chat/${encodeURIComponent(chatId)}/messages?${params}`;
    const page = await this.withRetry(signal, () =>
      this.request<Partial<Page<MessageResource>> | MessageResource[]>('GET', path, undefined, signal),
    );
    const raw = Array.isArray(page) ? page : Array.isArray(page?.items) ? page.items : [];
    const items = raw.filter((item) => item && typeof item.id === 'string');
    // A bare array (no paging fields) is the whole history.
    const hasMore = !Array.isArray(page) && page?.has_more === true && items.length > 0;
    const cursor = !Array.isArray(page) && typeof page?.next_cursor === 'string' ? page.next_cursor : items[0]?.id ?? null;
    return { items, hasMore, nextCursor: hasMore ? cursor : null };
  }

  private async withRetry<T>(signal: AbortSignal, call: () => Promise<T>): Promise<T> {
    let refreshedToken = false;
    for (let attempt = 1; ; attempt++) {
      try {
        return await call();
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        if (!(error instanceof ChatApiError)) throw error;
        if (
          error.status === 401 && !refreshedToken && this.deps.tokens.canRefresh &&
          isErrorCode(error.code) && AUTH_ERROR_CODES.has(error.code)
        ) {
          refreshedToken = true;
          this.deps.tokens.invalidate();
          attempt--; // a token refresh is not a failed attempt
          continue;
        }
        if (!error.retryable || attempt >= this.deps.maxAttempts) throw error;
        const jitter = fullJitterDelay(attempt, this.deps.backoff, this.deps.random);
        const asked = error.retryAfter !== null ? Math.min(error.retryAfter * 1000, this.deps.backoff.maxDelayMs) : 0;
        await abortableSleep(Math.max(jitter, asked), this.deps.timers, signal);
      }
    }
  }

  private async request<T>(method: string, path: string, body: string | undefined, signal: AbortSignal): Promise<T> {
    const token = await this.deps.tokens.get();
    const headers: Record<string, string> = { Accept: 'application/json', 'X-Tenant-ID': this.deps.tenantId };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (token) headers.Authorization = `Bearer ${token}`;
    let response: Response;
    try {
      response = await this.deps.fetch(this.deps.apiUrl + path, { method, headers, body, signal });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw ChatApiError.network(error);
    }
    let parsed: unknown = null;
    try {
      const text = await response.text();
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!response.ok) {
      const error = ChatApiError.fromResponse(response.status, parsed);
      const header = response.headers.get('retry-after');
      if (error.retryAfter === null && header !== null && Number.isFinite(Number(header))) {
        throw new ChatApiError({ ...error, message: error.message, retryAfter: Number(header) });
      }
      throw error;
    }
    return parsed as T;
  }
}
