/**
 * A `ws` WebSocket wrapper for tests that need the network, not the server, to fail.
 */
import { createServer } from 'node:net';
import WebSocket from 'ws';
import type { WebSocketConstructorLike, WebSocketLike } from '@miptech/client';

/** `127.0.0.1:<port>` of a port that was free a moment ago and has no listener now. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `127.0.0.1:${port}`;
}

/**
 * A `ws` WebSocket the test can cut like a network failure (terminate: no close frame), and that
 * can swallow one incoming frame first (an acknowledgement lost with the connection). While
 * `refuse` is set, new sockets go to a port nobody listens on (a server that cannot be reached).
 */
export function cuttableWebSocket() {
  const sockets: WebSocket[] = [];
  let swallow: ((raw: string) => boolean) | null = null;
  let muted: WebSocket | null = null;
  let refuseTo: string | null = null;
  /** Wraps a real `ws` socket; only the incoming-frame path is intercepted. */
  class CuttableSocket implements WebSocketLike {
    private readonly socket: WebSocket;
    onopen: WebSocketLike['onopen'] = null;
    onmessage: WebSocketLike['onmessage'] = null;
    onclose: WebSocketLike['onclose'] = null;
    onerror: WebSocketLike['onerror'] = null;

    constructor(url: string) {
      const target = refuseTo ? url.replace(/\/\/[^/]+/, `//${refuseTo}`) : url;
      const socket = new WebSocket(target, { perMessageDeflate: false });
      this.socket = socket;
      sockets.push(socket);
      socket.on('open', () => this.onopen?.({}));
      socket.on('error', (error) => this.onerror?.(error));
      socket.on('close', (code, reason) => this.onclose?.({ code, reason: reason.toString() }));
      socket.on('message', (data) => {
        if (socket === muted) return;
        const raw = data.toString();
        if (swallow?.(raw)) {
          // A cut connection delivers nothing more: ws may still emit frames it had already read
          // from the same TCP chunk after terminate(), which a real network loss would not deliver.
          swallow = null;
          muted = socket;
          socket.terminate();
          return;
        }
        this.onmessage?.({ data: raw });
      });
    }
    get readyState(): number {
      return this.socket.readyState;
    }
    send(data: string): void {
      this.socket.send(data);
    }
    close(code?: number, reason?: string): void {
      this.socket.close(code, reason);
    }
  }
  return {
    WebSocket: CuttableSocket as WebSocketConstructorLike,
    /** Number of sockets opened so far. */
    get opened() {
      return sockets.length;
    },
    /** Kills the current socket as a network failure would. */
    cut() {
      muted = sockets.at(-1) ?? null;
      sockets.at(-1)?.terminate();
    },
    /** From now on the current socket delivers nothing, yet stays open (a half-open TCP connection). */
    mute() {
      muted = sockets.at(-1) ?? null;
    },
    /** New connections are refused (ECONNREFUSED → 1006) until `accept()`. */
    async refuse() {
      refuseTo = await closedPort();
    },
    accept() {
      refuseTo = null;
    },
    /** Cuts the connection instead of delivering the next frame matching `match`. */
    cutOnFrame(match: (raw: string) => boolean) {
      swallow = match;
    },
  };
}
