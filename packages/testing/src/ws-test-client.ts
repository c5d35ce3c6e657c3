/**
 * A WebSocket client for tests that records every frame the server sends (parsed JSON) and the
 * close code, and waits for frames with a bounded timeout:
 *
 *   const ws = await connectWs(tp.wsUrl());
 *   ws.send({ type: 'join_chat', data: { chat_id, token } });
 *   await ws.waitFor('chat_joined');
 *   const answer = await ws.collectAnswer();
 */
import WebSocket from 'ws';

/** A server frame as received (loosely typed: tests look at whatever the server sent). */
export interface ReceivedFrame {
  type: string;
  data: Record<string, any>;
  tenant_id?: string | null;
  chat_id?: string;
  message_id?: string;
  seq?: number;
  event_ts: number;
  [key: string]: unknown;
}

export type FrameMatch = string | ((frame: ReceivedFrame) => boolean);

export interface CloseInfo {
  code: number;
  reason: string;
}

export interface CollectedAnswer {
  messageId: string;
  chunks: ReceivedFrame[];
  /** Concatenated chunk contents. */
  text: string;
  complete: ReceivedFrame;
}

export interface WsTestClient {
  readonly socket: WebSocket;
  /** Headers of the server's 101 answer (e.g. `set-cookie`). */
  readonly upgradeHeaders: Readonly<Record<string, string | string[] | undefined>>;
  /** Every frame received, in order. */
  readonly frames: ReceivedFrame[];
  /** Text frames that were not JSON (should stay empty). */
  readonly unparsable: string[];
  /** Resolves when the socket closes. */
  readonly closed: Promise<CloseInfo>;
  /** Sends a frame as JSON. */
  send(frame: unknown): void;
  /** Sends raw text, or binary when `binary` is set. */
  sendRaw(data: string | Buffer, options?: { binary?: boolean }): void;
  /** From now on, waitFor only looks at frames received after this call. */
  mark(): void;
  /** The first frame since the last mark() that matches; waits for it up to `timeoutMs` (default 5000). */
  waitFor(match: FrameMatch, timeoutMs?: number): Promise<ReceivedFrame>;
  /** Frames since the last mark() that match (no waiting). */
  all(match: FrameMatch): ReceivedFrame[];
  /** Waits for the close; fails after `timeoutMs`. */
  waitForClose(timeoutMs?: number): Promise<CloseInfo>;
  /**
   * Sends a `ping` and waits for its `pong`: then every frame the server sent before has arrived,
   * and the server has handled every frame this client sent before. With a manual clock this is
   * how a test waits for the server after `advance()`, instead of waiting real time.
   */
  roundTrip(timeoutMs?: number): Promise<void>;
  /** Waits for a response_complete (optionally of one message id) and returns its chunks. */
  collectAnswer(options?: { messageId?: string; timeoutMs?: number }): Promise<CollectedAnswer>;
  /** Closes from the client side and waits for the socket to be closed. */
  close(code?: number): Promise<void>;
}

export interface ConnectOptions {
  /** Sent as the Origin header (a browser always sends one). */
  origin?: string;
  headers?: Record<string, string>;
  /** Local address to connect from (e.g. 127.0.0.2: another client behind a proxy). */
  localAddress?: string;
  /** @default 5000 */
  timeoutMs?: number;
}

/** The last frame types received, for failure messages. */
function recentTypes(frames: ReceivedFrame[]): string {
  const tail = frames.slice(-20).map((f) => (f.type === 'error' ? `error(${String(f.data?.code)})` : f.type));
  return `${frames.length > 20 ? '…, ' : ''}${tail.join(', ')}`;
}

function toMatcher(match: FrameMatch): (frame: ReceivedFrame) => boolean {
  return typeof match === 'string' ? (frame) => frame.type === match : match;
}

/** Opens a socket and resolves once it is open (the server then sends its status frames). */
export function connectWs(url: string, options: ConnectOptions = {}): Promise<WsTestClient> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.origin) headers.origin = options.origin;
  const socket = new WebSocket(url, { headers, perMessageDeflate: false, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
  let upgradeHeaders: WsTestClient['upgradeHeaders'] = {};
  socket.once('upgrade', (response) => {
    upgradeHeaders = response.headers;
  });
  const frames: ReceivedFrame[] = [];
  const unparsable: string[] = [];
  const waiters = new Set<() => void>();
  let markIndex = 0;
  let closeInfo: CloseInfo | null = null;
  let roundTrips = 0;

  const closed = new Promise<CloseInfo>((resolve) => {
    socket.on('close', (code, reason) => {
      closeInfo = { code, reason: reason.toString() };
      resolve(closeInfo);
      for (const waiter of waiters) waiter();
    });
  });
  socket.on('message', (data, isBinary) => {
    const text = isBinary ? '' : data.toString();
    try {
      frames.push(JSON.parse(text) as ReceivedFrame);
    } catch {
      unparsable.push(text);
    }
    for (const waiter of waiters) waiter();
  });
  socket.on('error', () => {
    // Surfaced through `closed` (1006) or the open timeout.
  });

  const client: WsTestClient = {
    socket,
    get upgradeHeaders() {
      return upgradeHeaders;
    },
    frames,
    unparsable,
    closed,
    send(frame) {
      socket.send(JSON.stringify(frame));
    },
    sendRaw(data, sendOptions = {}) {
      socket.send(data, { binary: sendOptions.binary ?? false });
    },
    mark() {
      markIndex = frames.length;
    },
    all(match) {
      return frames.slice(markIndex).filter(toMatcher(match));
    },
    waitFor(match, timeoutMs = 5000) {
      const matcher = toMatcher(match);
      const startIndex = markIndex;
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = frames.slice(startIndex).find(matcher);
          if (found) {
            finish();
            resolve(found);
          } else if (closeInfo) {
            finish();
            reject(new Error(`socket closed (${closeInfo.code} ${closeInfo.reason}) before a matching frame; got: ${recentTypes(frames)}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`no matching frame within ${timeoutMs} ms; got: ${recentTypes(frames)}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    waitForClose(timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`socket not closed within ${timeoutMs} ms`)), timeoutMs);
        void closed.then((info) => {
          clearTimeout(timer);
          resolve(info);
        });
      });
    },
    async roundTrip(timeoutMs = 5000) {
      // A ts no other pong carries (the server echoes it).
      const ts = (roundTrips += 1);
      socket.send(JSON.stringify({ type: 'ping', data: { ts } }));
      await client.waitFor((frame) => frame.type === 'pong' && frame.data.ts === ts, timeoutMs);
    },
    async collectAnswer(collectOptions = {}) {
      const complete = await client.waitFor(
        (frame) => frame.type === 'response_complete' && (!collectOptions.messageId || frame.data.message_id === collectOptions.messageId),
        collectOptions.timeoutMs ?? 10_000,
      );
      const messageId = complete.data.message_id as string;
      const chunks = frames.filter((frame) => frame.type === 'response_chunk' && frame.data.message_id === messageId);
      return { messageId, chunks, text: chunks.map((chunk) => chunk.data.content as string).join(''), complete };
    },
    async close(code = 1000) {
      if (socket.readyState === WebSocket.CLOSED) return;
      socket.close(code);
      await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
      if ((socket.readyState as number) !== WebSocket.CLOSED) socket.terminate();
    },
  };

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error(`websocket did not open within ${options.timeoutMs ?? 5000} ms`));
    }, options.timeoutMs ?? 5000);
    socket.once('open', () => {
      clearTimeout(timer);
      resolve(client);
    });
    socket.once('unexpected-response', (_request, response) => {
      clearTimeout(timer);
      reject(new Error(`upgrade refused with HTTP ${response.statusCode}`));
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new Error('websocket closed before opening'));
    });
  });
}

/**
 * Connects and joins: sends join_chat at once (like the live widget) and resolves with the client
 * and the chat_joined frame. Rejects when the server closes instead.
 */
export async function connectAndJoin(
  url: string,
  join: { chatId?: string | null; token?: string | null; create?: boolean; lastSeq?: number; sessionId?: string },
  options: ConnectOptions = {},
): Promise<{ ws: WsTestClient; joined: ReceivedFrame }> {
  const ws = await connectWs(url, options);
  const data: Record<string, unknown> = {};
  if (join.chatId) data.chat_id = join.chatId;
  if (join.token) data.token = join.token;
  if (join.create) data.create = true;
  if (join.lastSeq !== undefined) data.last_seq = join.lastSeq;
  if (join.sessionId) data.session_id = join.sessionId;
  ws.send({ type: 'join_chat', data });
  const joined = await ws.waitFor('chat_joined');
  return { ws, joined };
}
