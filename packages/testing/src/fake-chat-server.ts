/**
 * A small server speaking the platform's wire protocol over real HTTP and `ws` sockets, for testing
 * the SDK's behaviour in situations that are hard to produce on the real server on demand (an
 * answer paused mid-stream, a server that goes silent, a refused reconnect). The real server is
 * exercised by test/integration/.
 *
 * Behaviour follows docs/protocol.md: `POST /api/v1/chat` (idempotent per session_id),
 * `GET /api/v1/chat/{id}/messages` (paged by `limit` / `before`), and on `/api/v1/ws/chat?tenant_id=…`: connection_ready, join_chat
 * (token check, `last_seq` replay after chat_joined), user_message (deduplicated by
 * client_message_id), answers as processing → response_start → response_chunk* → response_complete,
 * every chat frame with a per-chat `seq`.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ERROR_CODES, WS_PATH, parseClientFrame, type ErrorCode } from '@miptech/protocol';

export interface FakeMessage {
  id: string;
  chat_id: string;
  role: 'user' | 'assistant';
  content: string;
  status: 'complete' | 'streaming' | 'stopped' | 'interrupted' | 'error';
  client_message_id: string | null;
  reply_to: string | null;
  sources: [];
  created_at: string;
}

interface FakeEvent {
  seq: number;
  type: string;
  data: Record<string, unknown>;
}

interface FakeChat {
  id: string;
  sessionId: string;
  messages: FakeMessage[];
  events: FakeEvent[];
  seq: number;
}

interface Connection {
  socket: WebSocket;
  chatId: string | null;
}

export interface FakeChatServerOptions {
  tenantId?: string;
  /** Returns null to accept a token, or the error code to refuse it with. @default accepts all */
  checkToken?: (token: string | null) => ErrorCode | null;
  /** Token check of join_chat only. @default checkToken */
  checkJoinToken?: (token: string | null) => ErrorCode | null;
  /** Chunks of the answer to a message. @default three words echoing the text */
  answer?: (text: string) => string[];
  /** Pause between chunks. @default 5 */
  chunkDelayMs?: number;
  /** Heartbeat interval announced in connection_ready; pings are sent at this interval. @default 30000 */
  heartbeatIntervalMs?: number;
  /** How many of the newest events stay replayable. @default 10000 */
  retention?: number;
}

export class FakeChatServer {
  readonly tenantId: string;
  url = '';
  /** WebSocket connections accepted so far. */
  connectionsOpened = 0;
  createRequests = 0;
  readonly joins: Array<{ token: string | null; last_seq: number | null; chat_id: string | null }> = [];
  /** Every user_message frame received (resends included). */
  readonly userFrames: Array<{ text: string; client_message_id: string | null }> = [];
  readonly chats = new Map<string, FakeChat>();
  /** Frames the client sent, raw, for assertions. */
  readonly received: string[] = [];

  private readonly options: Required<FakeChatServerOptions>;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly connections = new Set<Connection>();
  private failCreates: { count: number; code: ErrorCode } = { count: 0, code: 'db_not_ready' };
  private refusing = false;
  private silent = false;
  private disconnectOnMessage = false;
  private pausedAt: number | null = null;
  private resumeAnswer: (() => void) | null = null;
  private pingTimer: NodeJS.Timeout | null = null;
  private nextId = 1;
  private readonly pending = new Set<Promise<void>>();

  constructor(options: FakeChatServerOptions = {}) {
    this.options = {
      tenantId: options.tenantId ?? 'acme',
      checkToken: options.checkToken ?? (() => null),
      checkJoinToken: options.checkJoinToken ?? options.checkToken ?? (() => null),
      answer: options.answer ?? ((text: string) => ['Answer', ' to', ` ${text}`]),
      chunkDelayMs: options.chunkDelayMs ?? 5,
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 30_000,
      retention: options.retention ?? 10_000,
    };
    this.tenantId = this.options.tenantId;
    this.http = createServer((req, res) => void this.onRequest(req, res));
    this.wss = new WebSocketServer({ noServer: true });
    this.http.on('upgrade', (req, socket, head) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== WS_PATH || this.refusing) {
        socket.destroy();
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws, url));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
    this.pingTimer = setInterval(() => {
      if (this.silent) return;
      for (const connection of this.connections) this.send(connection, { type: 'ping', data: { ts: Date.now() } });
    }, this.options.heartbeatIntervalMs);
    return this;
  }

  async stop(): Promise<void> {
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.resumeAnswer?.();
    this.pausedAt = null;
    for (const connection of this.connections) connection.socket.terminate();
    this.connections.clear();
    await Promise.allSettled([...this.pending]);
    this.wss.close();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  // ------------------------------------------------------------------ controls for tests

  /** The next `count` chat creations answer 503 with `code`. */
  failNextCreates(count: number, code: ErrorCode = 'db_not_ready'): void {
    this.failCreates = { count, code };
  }

  /** While true, WebSocket upgrades are refused (the client sees 1006). */
  refuseConnections(refuse: boolean): void {
    this.refusing = refuse;
  }

  /** While true the server sends nothing at all (a dead link that never closes). */
  setSilent(silent: boolean): void {
    this.silent = silent;
  }

  /** The next user message is stored and answered, but its socket is closed (1001) before any ack. */
  disconnectOnNextMessage(): void {
    this.disconnectOnMessage = true;
  }

  /** Answers stop after their `chunks`-th chunk until `resumeAnswers()`. */
  pauseAnswersAfter(chunks: number): void {
    this.pausedAt = chunks;
  }

  resumeAnswers(): void {
    this.pausedAt = null;
    const resume = this.resumeAnswer;
    this.resumeAnswer = null;
    resume?.();
  }

  /** Closes every socket with `code` (1001: rolling deploy). */
  closeAll(code: number, reason = ''): void {
    for (const connection of this.connections) connection.socket.close(code, reason);
    this.connections.clear();
  }

  get openConnections(): number {
    return this.connections.size;
  }

  /** Waits until `predicate` holds (bounded). */
  async waitFor(predicate: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  chat(): FakeChat {
    const [chat] = this.chats.values();
    if (!chat) throw new Error('no chat yet');
    return chat;
  }

  // ------------------------------------------------------------------ HTTP

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const body = await new Promise<string>((resolve) => {
      let text = '';
      req.on('data', (chunk: Buffer) => (text += chunk.toString()));
      req.on('end', () => resolve(text));
    });
    if (req.headers['x-tenant-id'] !== this.tenantId) return this.httpError(res, 'tenant_not_found');
    const auth = req.headers.authorization;
    const token = typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : null;
    const refused = this.options.checkToken(token);
    if (refused) return this.httpError(res, refused);

    if (req.method === 'POST' && url.pathname === '/api/v1/chat') {
      this.createRequests++;
      if (this.failCreates.count > 0) {
        this.failCreates.count--;
        return this.httpError(res, this.failCreates.code);
      }
      const { session_id: sessionId } = JSON.parse(body || '{}') as { session_id?: string };
      let chat = [...this.chats.values()].find((c) => c.sessionId === sessionId);
      const created = !chat;
      if (!chat) {
        chat = { id: `chat_${this.nextId++}`, sessionId: sessionId ?? '', messages: [], events: [], seq: 0 };
        this.chats.set(chat.id, chat);
      }
      res.writeHead(created ? 201 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: chat.id, chat_id: chat.id, tenant_id: this.tenantId, session_id: chat.sessionId }));
      return;
    }
    const history = /^\/api\/v1\/chat\/([^/]+)\/messages$/.exec(url.pathname);
    if (req.method === 'GET' && history) {
      const chat = this.chats.get(decodeURIComponent(history[1]!));
      if (!chat) return this.httpError(res, 'chat_not_found');
      // Paged like the server: the newest `limit` (default 50) before `before`, oldest first.
      const limit = Number(url.searchParams.get('limit') ?? 50);
      const before = url.searchParams.get('before');
      const end = before === null ? chat.messages.length : chat.messages.findIndex((m) => m.id === before);
      if (end < 0) return this.httpError(res, 'validation_error');
      const start = Math.max(0, end - limit);
      const items = chat.messages.slice(start, end);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ items, has_more: start > 0, next_cursor: start > 0 ? items[0]!.id : null }));
      return;
    }
    this.httpError(res, 'not_found');
  }

  private httpError(res: ServerResponse, code: ErrorCode): void {
    res.writeHead(ERROR_CODES[code].status, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code, message: ERROR_CODES[code].message, request_id: 'req_test' }));
  }

  // ------------------------------------------------------------------ WebSocket

  private onSocket(socket: WebSocket, url: URL): void {
    this.connectionsOpened++;
    if (url.searchParams.get('tenant_id') !== this.tenantId) {
      socket.close(1008, 'tenant_id required');
      return;
    }
    const connection: Connection = { socket, chatId: null };
    this.connections.add(connection);
    socket.on('close', () => this.connections.delete(connection));
    this.send(connection, { type: 'connection_established', data: { connection_id: 'c', protocol_version: '3.2', server_version: 'fake' } });
    this.send(connection, {
      type: 'connection_ready',
      data: { connection_id: 'c', join_timeout_ms: 10_000, heartbeat_interval_ms: this.options.heartbeatIntervalMs },
    });
    socket.on('message', (raw: Buffer) => {
      const text = raw.toString();
      this.received.push(text);
      if (this.silent) return;
      const parsed = parseClientFrame(text);
      if (!parsed.ok) return;
      const frame = parsed.frame;
      if (frame.type === 'ping') this.send(connection, { type: 'pong', data: { ts: frame.ts ?? 0 } });
      else if (frame.type === 'join_chat') this.join(connection, frame.token, frame.chat_id, frame.last_seq);
      else if (frame.type === 'user_message') {
        if (this.disconnectOnMessage) {
          this.disconnectOnMessage = false;
          this.connections.delete(connection);
          socket.close(1001, 'deploy');
        }
        this.track(this.userMessage(connection, frame.text, frame.client_message_id));
      }
    });
  }

  private join(connection: Connection, token: string | null, chatId: string | null, lastSeq: number | null): void {
    this.joins.push({ token, last_seq: lastSeq, chat_id: chatId });
    const refused = this.options.checkJoinToken(token);
    if (refused) {
      this.send(connection, { type: 'error', data: { code: refused, message: ERROR_CODES[refused].message, retryable: false } });
      connection.socket.close(ERROR_CODES[refused].close ?? 4400, refused);
      return;
    }
    const chat = chatId ? this.chats.get(chatId) : undefined;
    if (!chat) {
      this.send(connection, { type: 'error', data: { code: 'chat_not_found', message: 'Chat not found', retryable: false } });
      return;
    }
    connection.chatId = chat.id;
    const oldest = chat.events[0]?.seq ?? chat.seq + 1;
    const covered = lastSeq !== null && lastSeq >= oldest - 1;
    const joined: Record<string, unknown> = { chat_id: chat.id, tenant_id: this.tenantId, resumed: covered, last_seq: chat.seq };
    if (lastSeq !== null && !covered) joined.history_reload_required = true;
    this.send(connection, { type: 'chat_joined', chat_id: chat.id, data: joined });
    if (covered) for (const event of chat.events) if (event.seq > lastSeq!) this.sendEvent(connection, chat, event);
  }

  private async userMessage(connection: Connection, text: string, clientMessageId: string | null): Promise<void> {
    this.userFrames.push({ text, client_message_id: clientMessageId });
    const chat = connection.chatId ? this.chats.get(connection.chatId) : undefined;
    if (!chat) return;
    const existing = clientMessageId ? chat.messages.find((m) => m.client_message_id === clientMessageId) : undefined;
    if (existing) {
      this.append(chat, 'message_received', { ...this.userData(existing), duplicate: true });
      return;
    }
    const user = this.addMessage(chat, 'user', text, 'complete', clientMessageId, null);
    this.append(chat, 'message_received', this.userData(user));
    const reply = this.addMessage(chat, 'assistant', '', 'streaming', null, user.id);
    const ids = { message_id: reply.id, user_message_id: user.id, chat_id: chat.id };
    this.append(chat, 'processing', ids);
    this.append(chat, 'response_start', ids);
    const chunks = this.options.answer(text);
    for (let index = 0; index < chunks.length; index++) {
      if (this.pausedAt !== null && index >= this.pausedAt) {
        await new Promise<void>((resolve) => (this.resumeAnswer = resolve));
      }
      await new Promise((resolve) => setTimeout(resolve, this.options.chunkDelayMs));
      reply.content += chunks[index]!;
      this.append(chat, 'response_chunk', { message_id: reply.id, chat_id: chat.id, content: chunks[index]!, chunk_index: index });
    }
    reply.status = 'complete';
    this.append(chat, 'response_complete', {
      ...ids,
      content: reply.content,
      role: 'assistant',
      status: 'complete',
      sources: [],
      created_at: reply.created_at,
      message: { id: reply.id, role: 'assistant', content: reply.content, created_at: reply.created_at },
    });
  }

  private userData(message: FakeMessage): Record<string, unknown> {
    return {
      message_id: message.id,
      client_message_id: message.client_message_id,
      chat_id: message.chat_id,
      role: 'user',
      content: message.content,
      created_at: message.created_at,
    };
  }

  private addMessage(
    chat: FakeChat,
    role: 'user' | 'assistant',
    content: string,
    status: FakeMessage['status'],
    clientMessageId: string | null,
    replyTo: string | null,
  ): FakeMessage {
    const message: FakeMessage = {
      id: `msg_${this.nextId++}`,
      chat_id: chat.id,
      role,
      content,
      status,
      client_message_id: clientMessageId,
      reply_to: replyTo,
      sources: [],
      created_at: this.timestamp(),
    };
    chat.messages.push(message);
    return message;
  }

  private lastTime = 0;

  /** Server time, strictly increasing like database timestamps of successive rows. */
  private timestamp(): string {
    this.lastTime = Math.max(Date.now(), this.lastTime + 1);
    return new Date(this.lastTime).toISOString();
  }

  private append(chat: FakeChat, type: string, data: Record<string, unknown>): void {
    const event: FakeEvent = { seq: ++chat.seq, type, data };
    chat.events.push(event);
    if (chat.events.length > this.options.retention) chat.events.shift();
    for (const connection of this.connections) if (connection.chatId === chat.id) this.sendEvent(connection, chat, event);
  }

  private sendEvent(connection: Connection, chat: FakeChat, event: FakeEvent): void {
    this.send(connection, { type: event.type, chat_id: chat.id, message_id: event.data.message_id, seq: event.seq, data: event.data });
  }

  private send(connection: Connection, frame: Record<string, unknown>): void {
    if (this.silent || connection.socket.readyState !== connection.socket.OPEN) return;
    connection.socket.send(JSON.stringify({ tenant_id: this.tenantId, event_ts: Date.now(), ...frame }));
  }

  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }
}
