/**
 * One WebSocket connection and its handshake state machine (guide §7, §8):
 *
 *   resolving ──tenant ok──► awaiting_join ──join_chat ok──► joined
 *       │                        │  (ping/pong do not count as the first frame)
 *       └─ no/unknown tenant: 1008   ├─ other first frame or non-JSON: error + 4400
 *                                    ├─ no join in time: error + 4408
 *                                    └─ token/chat problem: error + 4401 / 4403
 *
 * Frames are handled one at a time in arrival order (a join completes before the message sent
 * right after it is looked at). After the join, bad frames get an `error` frame and the socket
 * stays open. Chat events arrive through the chat's room and are written with this connection's
 * strictly increasing `event_ts`; on a resume they are buffered until the replay has been sent.
 *
 * Resource bounds (issue #15): until a join_chat has arrived the socket accepts only messages up to
 * WS_JOIN_MAX_FRAME_BYTES; a message left unfinished for WS_PARTIAL_FRAME_TIMEOUT_MS closes the
 * socket (1013); only complete messages count as signs of life (a protocol-level pong, which
 * nobody asked for — our heartbeat is the JSON `ping` — does not); a client that lets more than
 * WS_MAX_BUFFERED_BYTES queue up unread is closed (1013).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type WebSocket from 'ws';
import {
  CLOSE_CODES,
  ERROR_CODES,
  PROTOCOL_VERSION,
  SCOPES,
  parseClientFrame,
  serverFrame,
  sessionIdProblem,
  FIELD_BOUNDS,
  type ParseResult,
  type ChatJoinedData,
  type CloseCode,
  type ErrorCode,
  type ErrorData,
  type JoinChatFrame,
  type ServerFrameDataMap,
  type ServerFrameType,
  type StopGenerationFrame,
  type UserMessageFrame,
} from '@miptech/protocol';
import { requireScope, resolvePrincipal, type Principal } from '../auth/principal.ts';
import { AppError, isAppError } from '../base/errors.ts';
import { databaseUnavailableError } from '../store/database-unavailable.ts';
import type { ClockTimer } from '../base/clock.ts';
import type { ChatEvent } from '../backend/events/chat-event-log.ts';
import type { PlatformServices } from '../transport/platform-services.ts';
import { enforceChatCreationLimit } from '../backend/rate-limit/enforce-chat-creation-limit.ts';
import { TENANT_ID_PATTERN } from '../transport/request-identity.ts';
import { readSessionCookie } from '../transport/visitor-session-cookie.ts';
import { clientAddress, type ProxyTrust } from '../transport/client-address.ts';
import { readJoinCatchUp } from '../chat/join-catch-up.ts';
import type { ChatRecord, TenantRecord } from '../store/store.ts';
import type { ChatRooms, RoomMember } from './chat-rooms.ts';
import { chatEventPrefix, completeFrame, encodeFrame } from './frame-encoder.ts';
import { MessageReceiver } from './message-receiver.ts';

type State = 'resolving' | 'awaiting_join' | 'joining' | 'joined' | 'closed';

/** What the gateway gives every connection. */
export interface ConnectionContext {
  services: PlatformServices;
  rooms: ChatRooms;
  /** The message size limit (ws maxPayload) once a join_chat has arrived. */
  joinedMaxPayload: number;
  /** Called once when the connection is closed, so the gateway forgets it. */
  onClosed(connection: ClientConnection): void;
}

/** Connection-level facts from the upgrade request (never the token: a token in a URL is ignored). */
export interface UpgradeInfo {
  tenantId: string | null;
  chatId: string | null;
  sessionId: string | null;
  /**
   * A visitor session issued with the handshake when it brought none (URL or cookie), sent back in
   * the session cookie on the 101 answer: a join without a token and without a session of its own
   * uses it, so the live widget's reconnects (`create: true` each time) find their chat again.
   */
  issuedSessionId: string | null;
  origin: string | null;
  /** Client address (TRUST_PROXY applied, as for REST), for the per-address chat creation limit. */
  remoteAddress: string;
  /** A URL parameter over its FIELD_BOUNDS (the reason, never the value): the connection is refused after the tenant check. */
  problem: string | null;
}

const FLOOD_WINDOW_MS = 1000;
const FLOOD_MAX_FRAMES = 40;
const MAX_QUEUED_FRAMES = 64;
/** ws's internals not as expected (message-receiver.ts): said once per process, not per socket. */
let receiverWarningLogged = false;

/** Reads tenant, chat and visitor session from the upgrade request's query string and cookies. */
export function readUpgradeInfo(request: IncomingMessage, trust: ProxyTrust | null, remoteAddress = clientAddress(request, trust)): UpgradeInfo {
  const url = request.url ?? '/';
  const query = new URLSearchParams(url.includes('?') ? url.slice(url.indexOf('?') + 1) : '');
  const pick = (...names: string[]) => {
    for (const name of names) {
      const value = query.get(name);
      if (value && value.trim() !== '') return value.trim();
    }
    return null;
  };
  const origin = request.headers.origin;
  const tenantId = pick('tenant_id', 'tenantId');
  const querySession = pick('session_id', 'sessionId');
  const sessionId = querySession ?? readSessionCookie(request.headers.cookie, tenantId);
  const chatId = pick('chat_id', 'chatId');
  const problem =
    chatId !== null && chatId.length > FIELD_BOUNDS.idChars
      ? `chat_id longer than ${FIELD_BOUNDS.idChars} characters`
      : querySession !== null
        ? sessionIdProblem(querySession)
        : null;
  return {
    tenantId,
    chatId,
    sessionId,
    // Only for a tenant id that can exist: the cookie is named after it.
    issuedSessionId: sessionId === null && tenantId !== null && TENANT_ID_PATTERN.test(tenantId) ? randomUUID() : null,
    origin: typeof origin === 'string' ? origin : null,
    remoteAddress,
    problem,
  };
}

export class ClientConnection implements RoomMember {
  readonly id = randomUUID();
  private state: State = 'resolving';
  private tenant: TenantRecord | null = null;
  private principal: Principal | null = null;
  private chat: ChatRecord | null = null;
  private lastEventTs = 0;
  /** Last time a complete message came from the client (heartbeat). */
  lastSeenAt: number;
  private readonly receiver: MessageReceiver | null;
  /** When the sweep first saw an incoming message unfinished; null when none is (reset by each complete message). */
  private unfinishedSince: number | null = null;
  private joinTimer: ClockTimer | null = null;
  private queue: Promise<void> = Promise.resolve();
  private queued = 0;
  private floodWindowStart = 0;
  private floodCount = 0;
  private floodReported = false;
  /** Highest chat seq written to this socket (drops a duplicate of a replayed event). */
  private lastSentSeq = 0;
  /** Live events held back while a resume replay is being sent. */
  private buffered: ChatEvent[] | null = null;
  /** The answer whose end this socket got as the join's catch-up: its live end, if it still comes, is not sent again. */
  private caughtUpEnd: string | null = null;

  constructor(
    private readonly socket: WebSocket,
    private readonly info: UpgradeInfo,
    private readonly context: ConnectionContext,
  ) {
    // Heartbeat and join timeout run on the platform's clock (a manual one in tests).
    this.lastSeenAt = context.services.clock.now();
    this.receiver = MessageReceiver.of(socket);
    if (this.receiver) this.receiver.setMessageLimit(context.services.config.wsJoinMaxFrameBytes);
    else if (!receiverWarningLogged) {
      receiverWarningLogged = true;
      context.services.logger.error('websocket: ws receiver internals not found; the pre-join frame limit and the unfinished-message timeout are off');
    }
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    // No 'pong' listener: a pong nobody asked for must not keep a socket alive (see the header).
    socket.on('close', () => this.onSocketClosed());
    socket.on('error', () => this.onSocketClosed());
  }

  get isJoined(): boolean {
    return this.state === 'joined';
  }

  /** Read through a method: the state changes while awaiting, which TypeScript's narrowing does not see. */
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  get tenantId(): string | null {
    return this.tenant?.id ?? null;
  }

  /** Validates the tenant, then sends the three status frames at once. */
  start(): void {
    const config = this.context.services.config;
    this.joinTimer = this.context.services.clock.setTimeout(() => this.onJoinTimeout(), config.wsJoinTimeoutMs);
    this.enqueue(async () => {
      const tenantId = this.info.tenantId;
      if (!tenantId) return this.close(CLOSE_CODES.policyViolation, 'tenant_id required');
      const tenant = TENANT_ID_PATTERN.test(tenantId) ? await this.context.services.tenants.get(tenantId) : null;
      if (!tenant) return this.close(CLOSE_CODES.policyViolation, 'Unknown tenant');
      if (this.state === 'closed') return;
      this.tenant = tenant;
      if (this.info.problem) return this.refuseJoin(this.info.problem);
      this.state = 'awaiting_join';
      const connectionId = this.id;
      this.send('connection_established', { connection_id: connectionId, protocol_version: PROTOCOL_VERSION, server_version: config.version });
      this.send('initialization_progress', { connection_id: connectionId, stage: 'ready', progress: 100 });
      this.send('connection_ready', {
        connection_id: connectionId,
        join_timeout_ms: config.wsJoinTimeoutMs,
        heartbeat_interval_ms: config.wsHeartbeatIntervalMs,
      });
    });
  }

  /** Heartbeat tick from the gateway: ping, or close when the client has been silent too long. */
  heartbeat(now: number, intervalMs: number): void {
    if (this.state === 'closed' || this.state === 'resolving') return;
    if (now - this.lastSeenAt > 2 * intervalMs) {
      this.close(ERROR_CODES.heartbeat_timeout.close, 'Heartbeat timeout');
      return;
    }
    this.send('ping', { ts: now });
  }

  /**
   * From the gateway's sweep: closes the socket (1013) when one incoming message has stayed
   * unfinished for `timeoutMs` — fragments or a frame trickling in hold memory and prove nothing.
   */
  checkUnfinishedMessage(now: number, timeoutMs: number): void {
    if (this.state === 'closed' || !this.receiver) return;
    if (!this.receiver.unfinished) {
      this.unfinishedSince = null;
      return;
    }
    if (this.unfinishedSince === null) this.unfinishedSince = now;
    else if (now - this.unfinishedSince >= timeoutMs) this.close(CLOSE_CODES.tryAgainLater, 'Message not completed in time');
  }

  /** Closes the socket with `code` (used for shutdown with 1001). */
  close(code: CloseCode, reason: string): void {
    if (this.state === 'closed') return;
    this.leaveRoom();
    this.state = 'closed';
    this.clearJoinTimer();
    try {
      this.socket.close(code, reason);
    } catch {
      this.socket.terminate();
    }
  }

  /** Drops the TCP connection without a close handshake (last resort at shutdown). */
  terminate(): void {
    this.socket.terminate();
  }

  // ---------------------------------------------------------------------------------------------
  // Room member

  deliver(event: ChatEvent, prefix: string): void {
    if (this.state === 'closed' || !this.tenant || event.tenantId !== this.tenant.id) return;
    if (this.buffered) {
      this.buffered.push(event);
      return;
    }
    this.writeEvent(event, prefix);
  }

  private writeEvent(event: ChatEvent, prefix: string): void {
    if (event.seq <= this.lastSentSeq) return;
    this.lastSentSeq = event.seq;
    if (event.type === 'response_complete' && event.messageId) {
      // The catch-up was this end (it was read as stored, or found in the log, just before it
      // arrived live): one response_complete per answer.
      if (event.messageId === this.caughtUpEnd) return;
      // Recorded only when the frame was handed to the socket (a too-slow client is closed without
      // it and must still get the catch-up when it comes back), and right away, so a node the
      // client moves to next already knows it.
      if (this.write(completeFrame(prefix, this.nextEventTs()), event.type)) this.context.services.deliveredAnswerEnds.record(event.chatId, event.messageId);
      return;
    }
    this.write(completeFrame(prefix, this.nextEventTs()), event.type);
  }

  // ---------------------------------------------------------------------------------------------
  // Incoming frames

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    const now = this.context.services.clock.now();
    this.lastSeenAt = now;
    this.unfinishedSince = null;
    if (this.state === 'closed') return;
    if (now - this.floodWindowStart >= FLOOD_WINDOW_MS) {
      this.floodWindowStart = now;
      this.floodCount = 0;
      this.floodReported = false;
    }
    this.floodCount += 1;
    if (this.floodCount > FLOOD_MAX_FRAMES || this.queued >= MAX_QUEUED_FRAMES) {
      if (!this.floodReported) {
        this.floodReported = true;
        const retryAfter = Math.max(1, Math.ceil((this.floodWindowStart + FLOOD_WINDOW_MS - now) / 1000));
        this.context.services.metrics.rateLimitRejected('frames');
        this.sendError('rate_limited', 'Too many frames; slow down', { retry_after: retryAfter });
      }
      return;
    }
    const buffer = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? Buffer.from(data) : data;
    const tooLarge = buffer.length > this.context.services.config.wsMaxFrameBytes;
    const text = isBinary || tooLarge ? null : buffer.toString('utf8');
    const parsed = text === null ? null : parseClientFrame(text);
    // The join is in: what follows it is judged by the joined limits (if the join fails, the socket closes).
    if (parsed?.ok && parsed.frame.type === 'join_chat') this.receiver?.setMessageLimit(this.context.joinedMaxPayload);
    this.enqueue(() => this.handleFrame(parsed, isBinary));
  }

  private enqueue(work: () => Promise<void> | void): void {
    this.queued += 1;
    this.queue = this.queue
      .then(work)
      .catch((error: unknown) => this.onUnexpectedError(error))
      .finally(() => {
        this.queued -= 1;
      });
  }

  /** `parsed` is null for a binary or too large frame. */
  private async handleFrame(parsed: ParseResult | null, isBinary: boolean): Promise<void> {
    if (this.state === 'closed') return;
    const beforeJoin = this.state !== 'joined';
    if (parsed === null) {
      const code: ErrorCode = isBinary ? 'binary_not_supported' : 'message_too_large';
      return beforeJoin ? this.rejectFirstFrame(ERROR_CODES[code].message) : this.sendError(code);
    }
    if (!parsed.ok) {
      if (beforeJoin && parsed.code === 'validation_error' && parsed.type === 'join_chat') return this.refuseJoin(parsed.message);
      return beforeJoin ? this.rejectFirstFrame(parsed.message) : this.sendError(parsed.code, parsed.message);
    }
    const frame = parsed.frame;
    switch (frame.type) {
      case 'ping':
        return this.send('pong', { ts: frame.ts ?? Date.now() });
      case 'pong':
        return;
      case 'join_chat':
        return beforeJoin ? this.join(frame) : this.rejoin(frame);
      case 'user_message':
        return beforeJoin ? this.rejectFirstFrame(`Expected join_chat, got ${frame.type}`) : this.userMessage(frame);
      case 'stop_generation':
        return beforeJoin ? this.rejectFirstFrame(`Expected join_chat, got ${frame.type}`) : this.stopGeneration(frame);
    }
  }

  /** A join_chat (or handshake URL) with a field over its bound: as a join without chat_id, validation_error and 4400. */
  private refuseJoin(detail: string): void {
    this.sendError('validation_error', detail);
    this.close(ERROR_CODES.join_required.close, 'Invalid join_chat');
  }

  private rejectFirstFrame(detail: string): void {
    this.sendError('join_required', `Expected join_chat as first message (${detail})`);
    this.close(ERROR_CODES.join_required.close, 'Expected join_chat');
  }

  // ---------------------------------------------------------------------------------------------
  // Join

  private async join(frame: JoinChatFrame): Promise<void> {
    const tenant = this.tenant;
    if (!tenant || this.state !== 'awaiting_join') return;
    this.state = 'joining';
    const { services } = this.context;
    try {
      if (frame.tenant_id && frame.tenant_id !== tenant.id) throw new AppError('tenant_mismatch', 'join_chat tenant_id differs from the connection tenant');
      const requestedSession = frame.session_id ?? this.info.sessionId;
      const principal = await resolvePrincipal({
        tenant,
        token: frame.token,
        origin: this.info.origin,
        sessionId: requestedSession ?? this.info.issuedSessionId,
        jwtRequired: services.config.wsJwtRequired,
        tokens: services.tokens,
      });
      // The handshake's issued session stands for a visitor without a token; a token names its visitor.
      const sessionId = requestedSession ?? (principal.kind === 'token' ? null : this.info.issuedSessionId);
      requireScope(principal, SCOPES.chatSend);
      const chatId = frame.chat_id ?? this.info.chatId;
      let chat: ChatRecord;
      let created = false;
      if (chatId) {
        chat = await services.chats.getChat(principal, chatId, 'chat_access_denied');
      } else if (frame.create) {
        try {
          ({ chat, created } = await services.chats.createChat(
            principal,
            { sessionId, channel: frame.channel ?? 'websocket' },
            { beforeCreate: () => enforceChatCreationLimit(services, tenant, this.info.remoteAddress) },
          ));
        } catch (error) {
          // Another visitor's session id: do not reveal that the session exists.
          if (isAppError(error) && error.code === 'session_conflict') throw new AppError('chat_access_denied');
          throw error;
        }
      } else {
        throw new AppError('validation_error', 'join_chat needs a chat_id, or create: true');
      }
      if (this.state !== 'joining') return;
      this.principal = principal;
      this.chat = chat;
      this.clearJoinTimer();
      if (created) this.send('chat_created', { chat_id: chat.id, session_id: chat.sessionId }, { chatId: chat.id });
      await this.subscribe(chat, frame.last_seq, !created);
    } catch (error) {
      if (this.isClosed()) return;
      const appError = databaseUnavailableError(error) ?? (isAppError(error) ? error : null);
      if (!appError) this.context.services.logger.error({ err: error, connectionId: this.id }, 'join failed');
      else if (appError !== error) this.context.services.logger.warn({ err: error, connectionId: this.id }, 'join failed: database unavailable');
      const code: ErrorCode = appError?.code ?? 'internal_error';
      this.sendError(code, appError?.message, appError?.retryAfter !== undefined ? { retry_after: appError.retryAfter } : {});
      const spec = ERROR_CODES[code];
      const close = code === 'validation_error' ? ERROR_CODES.join_required.close : (spec.close ?? (spec.retryable ? CLOSE_CODES.tryAgainLater : ERROR_CODES.chat_access_denied.close));
      this.close(close, ERROR_CODES[code].message.slice(0, 120));
    }
  }

  /**
   * Subscribes first and buffers live events, then reads the join's catch-up (chat/join-catch-up.ts:
   * what happened after `lastSeq`, or only the current seq, and the end of an answer a rejoin
   * without `last_seq` missed), sends chat_joined, the missed end, the replay and the buffer: no
   * gap, and duplicates are dropped by seq.
   */
  private async subscribe(chat: ChatRecord, lastSeq: number | null, existing: boolean): Promise<void> {
    const { services, rooms } = this.context;
    this.buffered = [];
    rooms.join(chat.id, this);
    // Read once the room's subscription is active: an end published after the replay's lastSeq
    // arrives live; one published before is the catch-up's to send.
    const { replay, missed } = await readJoinCatchUp(services, chat, lastSeq, existing);
    if (this.state !== 'joining') return;
    this.state = 'joined';
    const resumed = lastSeq !== null && replay.complete;
    const pending = this.buffered;
    this.buffered = null;
    this.lastSentSeq = resumed ? lastSeq : Math.max(replay.lastSeq, 0);
    const joined: ChatJoinedData = {
      chat_id: chat.id,
      tenant_id: chat.tenantId,
      resumed,
      last_seq: Math.max(replay.lastSeq, ...replay.events.map((event) => event.seq)),
      visitor_id: chat.visitorId,
    };
    if (lastSeq !== null && !replay.complete) joined.history_reload_required = true;
    this.send('chat_joined', joined, { chatId: chat.id });
    // A buffered live end at or below lastSentSeq is not written (it is before the join point): it
    // does not count as delivered.
    const liveEnd = (id: string) =>
      pending.some((event) => event.type === 'response_complete' && event.messageId === id && event.seq > this.lastSentSeq);
    if (missed && !liveEnd(missed.message_id)) {
      services.deliveredAnswerEnds.record(chat.id, missed.message_id);
      this.caughtUpEnd = missed.message_id;
      this.send('response_complete', missed, { chatId: chat.id, messageId: missed.message_id });
    }
    if (resumed) for (const event of replay.events) this.writeEvent(event, chatEventPrefix(event));
    for (const event of pending) this.writeEvent(event, chatEventPrefix(event));
  }

  /** A join on a joined socket: the same chat (or another create:true) is acknowledged again; never a second chat. */
  private async rejoin(frame: JoinChatFrame): Promise<void> {
    const chat = this.chat;
    if (!chat) return;
    if (frame.chat_id && frame.chat_id !== chat.id) return this.sendError('already_joined', 'This connection already joined another chat');
    this.send(
      'chat_joined',
      { chat_id: chat.id, tenant_id: chat.tenantId, resumed: false, last_seq: this.lastSentSeq, visitor_id: chat.visitorId },
      { chatId: chat.id },
    );
  }

  // ---------------------------------------------------------------------------------------------
  // After the join

  private async userMessage(frame: UserMessageFrame): Promise<void> {
    const { tenant, chat, principal } = this;
    if (!tenant || !chat || !principal) return;
    if (frame.chat_id && frame.chat_id !== chat.id) {
      return this.sendError('chat_access_denied', 'Messages go to the chat this connection joined', { chat_id: frame.chat_id });
    }
    try {
      await this.context.services.chats.submitUserMessage(tenant, chat, {
        text: frame.text,
        clientMessageId: frame.client_message_id,
        rateLimitKey: principal.subject ?? `conn:${this.id}`,
      });
    } catch (thrown) {
      const error = databaseUnavailableError(thrown) ?? thrown;
      if (!isAppError(error)) throw error;
      this.sendError(error.code, error.message, {
        chat_id: chat.id,
        ...(error.retryAfter !== undefined ? { retry_after: error.retryAfter } : {}),
        ...(frame.client_message_id ? { client_message_id: frame.client_message_id } : {}),
      });
    }
  }

  private stopGeneration(frame: StopGenerationFrame): void {
    const { tenant, chat } = this;
    if (!tenant || !chat) return;
    if (frame.chat_id && frame.chat_id !== chat.id) return this.sendError('chat_access_denied', undefined, { chat_id: frame.chat_id });
    this.context.services.chats.stopGeneration(tenant.id, chat.id, frame.message_id);
  }

  // ---------------------------------------------------------------------------------------------
  // Output

  private nextEventTs(): number {
    const now = Date.now();
    this.lastEventTs = now > this.lastEventTs ? now : this.lastEventTs + 1;
    return this.lastEventTs;
  }

  /** Sends a frame; false when it was dropped (socket not open, or the client too slow and closed). */
  private write(text: string, type: ServerFrameType): boolean {
    if (this.state === 'closed' || this.socket.readyState !== this.socket.OPEN) return false;
    if (this.socket.bufferedAmount > this.context.services.config.wsMaxBufferedBytes) {
      this.close(CLOSE_CODES.tryAgainLater, 'Client too slow');
      return false;
    }
    this.socket.send(text);
    this.context.services.metrics.frameSent(type);
    return true;
  }

  /** Sends a frame for this connection only (not a chat event: those come through the room). */
  private send<T extends ServerFrameType>(type: T, data: ServerFrameDataMap[T], ids: { chatId?: string; messageId?: string } = {}): void {
    const tenantId = this.tenant?.id ?? this.info.tenantId;
    // Without a tenant id the socket was closed (1008) before its first frame: nothing to send.
    if (tenantId === null) return;
    const frame = serverFrame(type, data, { chat_id: ids.chatId, message_id: ids.messageId, tenant_id: tenantId, event_ts: this.nextEventTs() });
    this.write(encodeFrame(frame), type);
  }

  private sendError(code: ErrorCode, message?: string, extra: Omit<Partial<ErrorData>, 'code' | 'message' | 'retryable'> = {}): void {
    const spec = ERROR_CODES[code];
    this.context.services.metrics.errorReported('ws', code);
    const chatId = extra.chat_id ?? this.chat?.id;
    this.send(
      'error',
      { code, message: message ?? spec.message, retryable: spec.retryable, ...(chatId ? { chat_id: chatId } : {}), ...extra },
      { chatId },
    );
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle

  private onJoinTimeout(): void {
    this.joinTimer = null;
    if (this.state !== 'awaiting_join' && this.state !== 'resolving') return;
    this.sendError('join_timeout');
    this.close(ERROR_CODES.join_timeout.close, 'join_chat timeout');
  }

  /** A failure outside the join and message paths (e.g. the tenant lookup): an error frame first, so the client learns why. */
  private onUnexpectedError(error: unknown): void {
    const unavailable = databaseUnavailableError(error);
    if (unavailable) {
      this.context.services.logger.warn({ err: error, connectionId: this.id }, 'websocket: database unavailable');
      this.sendError('db_not_ready', unavailable.message, { retry_after: unavailable.retryAfter });
    } else {
      this.context.services.logger.error({ err: error, connectionId: this.id }, 'websocket frame handling failed');
      this.sendError('internal_error');
    }
    if (this.state !== 'joined') this.close(ERROR_CODES.internal_error.close ?? CLOSE_CODES.internalError, unavailable ? 'Database not ready' : 'Internal error');
  }

  private leaveRoom(): void {
    if (this.chat) this.context.rooms.leave(this.chat.id, this);
  }

  private clearJoinTimer(): void {
    if (this.joinTimer) {
      this.context.services.clock.clearTimeout(this.joinTimer);
      this.joinTimer = null;
    }
  }

  private onSocketClosed(): void {
    if (this.state !== 'closed') {
      this.leaveRoom();
      this.state = 'closed';
      this.clearJoinTimer();
    }
    this.context.onClosed(this);
  }
}
