/**
 * One simulated visitor, following the guide's flow: REST chat creation with a JWT, WebSocket
 * connect with `tenant_id` in the URL, the three status frames, `join_chat` with the token after
 * `connection_ready`, then messages. It answers server pings like a real client so that idle
 * connections stay alive under the platform's heartbeat.
 */
import WebSocket from 'ws';
import type { KeepAlivePool } from './keep-alive-http-client.ts';

type Bag = Record<string, unknown>;

/** Receives every frame of every visitor of a worker (the current step's tracker, if any). */
export type FrameSink = (type: string, data: Bag, now: number) => void;

export class VisitorSession {
  chatId: string | null = null;
  private socket: WebSocket | null = null;
  private messageCount = 0;

  constructor(
    readonly index: number,
    readonly visitorId: string,
    readonly sessionId: string,
    private readonly token: string,
    private readonly tenantId: string,
  ) {}

  get open(): boolean {
    return this.socket?.readyState === WebSocket.OPEN;
  }

  /** `POST /api/v1/chat` as the guide's client does; returns the request latency in ms. */
  async createChat(pool: KeepAlivePool): Promise<number> {
    const body = JSON.stringify({ title: 'Bench chat', tenant_id: this.tenantId, session_id: this.sessionId });
    const started = performance.now();
    const response = await pool.request('POST', '/api/v1/chat', [
      'Content-Type: application/json',
      `X-Tenant-ID: ${this.tenantId}`,
      `Authorization: Bearer ${this.token}`,
    ], body);
    const latency = performance.now() - started;
    if (response.status !== 201 && response.status !== 200) {
      throw new Error(`http_${response.status} ${response.body.slice(0, 200)}`);
    }
    const chat = JSON.parse(response.body) as Bag;
    const id = chat.chat_id ?? chat.id;
    if (typeof id !== 'string') throw new Error('chat creation answer has no id');
    this.chatId = id;
    return latency;
  }

  /**
   * Connects and joins; resolves with the handshake latency (connect → `chat_joined`) in ms.
   * Afterwards every frame goes to `sink()` (read on each frame, so steps can swap trackers).
   */
  connect(wsBase: string, sink: () => FrameSink | null, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const started = performance.now();
      const socket = new WebSocket(`${wsBase}?tenant_id=${encodeURIComponent(this.tenantId)}`, { perMessageDeflate: false });
      this.socket = socket;
      let joined = false;
      let joinSent = false;
      const timer = setTimeout(() => {
        socket.terminate();
        reject(new Error('handshake_timeout'));
      }, timeoutMs);
      const sendJoin = () => {
        if (joinSent) return;
        joinSent = true;
        socket.send(JSON.stringify({ type: 'join_chat', data: { chat_id: this.chatId, tenant_id: this.tenantId, token: this.token } }));
      };
      socket.on('message', (raw, isBinary) => {
        if (isBinary) return;
        const now = performance.timeOrigin + performance.now();
        let frame: Bag;
        try {
          frame = JSON.parse(raw.toString()) as Bag;
        } catch {
          return;
        }
        const type = String(frame.type);
        const data = (typeof frame.data === 'object' && frame.data !== null ? frame.data : {}) as Bag;
        if (type === 'ping') {
          socket.send(JSON.stringify({ type: 'pong', data: { ts: data.ts ?? Date.now() } }));
        }
        if (!joined) {
          if (type === 'connection_ready') sendJoin();
          else if (type === 'chat_joined') {
            joined = true;
            clearTimeout(timer);
            if (typeof data.chat_id === 'string') this.chatId = data.chat_id;
            resolve(performance.now() - started);
          } else if (type === 'error') {
            clearTimeout(timer);
            socket.terminate();
            reject(new Error(`join_error:${String(data.code)}`));
          }
          return;
        }
        sink()?.(type, data, now);
      });
      socket.on('close', (code) => {
        if (!joined) {
          clearTimeout(timer);
          reject(new Error(`closed_before_join:${code}`));
        }
      });
      socket.on('error', (error) => {
        if (!joined) {
          clearTimeout(timer);
          reject(new Error(`ws_error:${(error as NodeJS.ErrnoException).code ?? error.message}`));
        }
      });
    });
  }

  /** Sends one user message; returns its client message id (the server echoes it back). */
  sendMessage(text: string): string {
    const clientMessageId = `${this.visitorId}-m${this.messageCount++}`;
    this.socket?.send(JSON.stringify({
      type: 'user_message',
      data: { chat_id: this.chatId, text, client_message_id: clientMessageId, tenant_id: this.tenantId },
    }));
    return clientMessageId;
  }

  /** Closes the socket; resolves when it is closed (or after `timeoutMs`, terminating it). */
  close(timeoutMs: number): Promise<void> {
    const socket = this.socket;
    this.socket = null;
    if (!socket || socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        socket.terminate();
        resolve();
      }, timeoutMs);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      else socket.close(1000);
    });
  }
}
