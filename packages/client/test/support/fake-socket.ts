/**
 * An in-memory WebSocket for state-machine tests: the test plays the server (`open`, `receive`,
 * `serverClose`) and reads what the client sent.
 */
import type { WebSocketConstructorLike, WebSocketLike } from '@miptech/client';

export class FakeSocket implements WebSocketLike {
  readyState = 0;
  readonly sent: Array<{ type: string; data: Record<string, unknown> }> = [];
  closedByClient: { code?: number; reason?: string } | null = null;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(readonly url: string) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('send on a socket that is not open');
    this.sent.push(JSON.parse(data));
  }

  close(code?: number, reason?: string): void {
    this.closedByClient = { code, reason };
    this.readyState = 3;
  }

  // ---- the server's side

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(frame: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify({ tenant_id: 'acme', event_ts: Date.now(), data: {}, ...frame }) });
  }

  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  sentOfType(type: string): Array<{ type: string; data: Record<string, unknown> }> {
    return this.sent.filter((frame) => frame.type === type);
  }
}

/** A WebSocket constructor whose instances the test can reach. */
export function fakeSocketFactory(): { WebSocket: WebSocketConstructorLike; sockets: FakeSocket[]; last(): FakeSocket } {
  const sockets: FakeSocket[] = [];
  class Recorded extends FakeSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  }
  return {
    WebSocket: Recorded,
    sockets,
    last() {
      const socket = sockets.at(-1);
      if (!socket) throw new Error('no socket opened');
      return socket;
    },
  };
}

/** A fetch answering chat creation with `chatId` and history with `history()`. */
export function fakeFetch(
  chatId = 'chat_1',
  history: () => unknown[] = () => [],
): typeof fetch & { calls: Array<{ url: string; init: RequestInit | undefined }> } {
  const calls: Array<{ url: string; init: RequestInit | undefined }> = [];
  const impl = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input);
    calls.push({ url, init });
    if (init?.method === 'POST') {
      return new Response(JSON.stringify({ id: chatId, chat_id: chatId }), { status: 201, headers: { 'content-type': 'application/json' } });
    }
    return new Response(JSON.stringify({ items: history(), has_more: false, next_cursor: null }), { status: 200 });
  };
  return Object.assign(impl as typeof fetch, { calls });
}

/** Lets pending promise callbacks (fetch, awaits) run. */
export async function flush(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}
