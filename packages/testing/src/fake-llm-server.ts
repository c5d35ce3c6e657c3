/**
 * The HTTP machinery shared by the fake LLM providers: a real server on 127.0.0.1 (port 0) that
 * answers each request with the next scripted reply, records what it received, and lets a test
 * see when the client closed the connection. The provider modules (fake-openai-server.ts,
 * fake-anthropic-server.ts) turn scripts into their provider's exact wire bytes.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a reply does after its last written frame instead of ending normally. */
export type FakeInterruption =
  /** Destroys the socket: the client sees the connection reset mid-stream. */
  | 'destroy'
  /** Stops writing but keeps the connection open (a stalled provider). */
  | 'hang';

export type FakeReply =
  | {
      kind: 'stream';
      headers: Record<string, string>;
      /** Raw pieces written one by one (each usually one SSE event), or built from the request. */
      frames: string[] | ((request: RecordedRequest) => string[]);
      /** Pause before each frame after the first, in milliseconds. @default 0 */
      delayMs?: number;
      /** Instead of ending the response after the frames. */
      interruption?: FakeInterruption;
    }
  | { kind: 'status'; status: number; headers: Record<string, string>; body: string }
  /** Accepts the request and never answers (no headers). */
  | { kind: 'hang' };

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The JSON body, or the raw text when it is not JSON. */
  body: unknown;
  /** True once the server wrote the whole reply and ended it. */
  completed: boolean;
  /** Resolves when the request's connection closes (the client aborting, or a reply ending). */
  closed: Promise<void>;
  /** Resolves when the connection closed before the reply was complete. */
  closedEarly: Promise<void>;
}

export interface FakeLlmServer {
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Queues the reply for the next request; unscripted requests get a 500. */
  enqueue(reply: FakeReply): void;
  close(): Promise<void>;
}

/** Starts a fake provider that answers POSTs to `path`. */
export async function startFakeLlmServer(path: string): Promise<FakeLlmServer> {
  const queue: FakeReply[] = [];
  const requests: RecordedRequest[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // keep the raw text
      }
      let resolveClosed!: () => void;
      let resolveClosedEarly!: () => void;
      const record: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        completed: false,
        closed: new Promise((resolve) => (resolveClosed = resolve)),
        closedEarly: new Promise((resolve) => (resolveClosedEarly = resolve)),
      };
      requests.push(record);
      res.on('close', () => {
        resolveClosed();
        if (!record.completed) resolveClosedEarly();
      });

      if (req.method !== 'POST' || req.url?.split('?')[0] !== path) {
        send(res, record, { kind: 'status', status: 404, headers: {}, body: `fake server: no route ${req.method} ${req.url}` });
        return;
      }
      const reply = queue.shift() ?? {
        kind: 'status',
        status: 500,
        headers: { 'content-type': 'text/plain' },
        body: 'fake server: no scripted reply',
      };
      send(res, record, reply);
    });
  });

  function later(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, ms);
    timers.add(timer);
  }

  function send(res: ServerResponse, record: RecordedRequest, reply: FakeReply): void {
    if (reply.kind === 'hang') return;
    if (reply.kind === 'status') {
      res.writeHead(reply.status, reply.headers);
      res.end(reply.body, () => (record.completed = true));
      return;
    }
    res.writeHead(200, reply.headers);
    res.flushHeaders();
    const frames = typeof reply.frames === 'function' ? reply.frames(record) : reply.frames;
    let index = 0;
    const writeNext = (): void => {
      if (res.destroyed) return;
      if (index === frames.length) {
        if (reply.interruption === 'destroy') res.socket?.destroy();
        else if (reply.interruption !== 'hang') res.end(() => (record.completed = true));
        return;
      }
      res.write(frames[index]!);
      index += 1;
      if (reply.delayMs) later(reply.delayMs, writeNext);
      else setImmediate(writeNext);
    };
    writeNext();
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (reply) => queue.push(reply),
    close: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A scripted streamed answer, written in whichever provider's format the server speaks. */
export interface FakeStreamScript {
  /** Text pieces streamed in order; their concatenation is the answer. */
  deltas: string[];
  /** The model the reply names. @default the provider's current small model */
  model?: string;
  /**
   * Reported usage; `null` reports none (many self-hosted servers).
   * @default {promptTokens: 42, completionTokens: deltas.length}
   */
  usage?: { promptTokens: number; completionTokens: number } | null;
  /** Pause between events, in milliseconds. @default 0 */
  delayMs?: number;
  /**
   * Cuts the stream after `afterDeltas` text pieces: `destroy` resets the connection, `hang`
   * stalls it, `error` sends the provider's mid-stream error event and ends the response.
   */
  interrupt?: { afterDeltas: number; how: FakeInterruption | 'error' };
  /** Writes the whole stream at once (a buffering proxy): the client gets many events per chunk. */
  coalesce?: boolean;
}

export interface FakeErrorOptions {
  headers?: Record<string, string>;
  message?: string;
  /** The provider's error type string. @default chosen from the status */
  type?: string;
}

/** A fake provider as the tests drive it. */
export interface FakeProviderServer {
  /** Base URL to configure the engine with. */
  readonly baseUrl: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** The next request gets this stream. */
  replyStream(script: FakeStreamScript): void;
  /** The next request gets the provider's error body with this status. */
  replyError(status: number, options?: FakeErrorOptions): void;
  /** The next request is accepted and never answered. */
  replyHang(): void;
  close(): Promise<void>;
}

/** What one provider's wire format adds to the shared server. */
export interface FakeWireFormat {
  path: string;
  /** The base URL an engine is configured with, given the server origin. */
  baseUrl(origin: string): string;
  streamHeaders: Record<string, string>;
  /** Every event of the script, as written on the wire (may depend on the request's options). */
  streamFrames(script: FakeStreamScript, request: RecordedRequest): string[];
  errorReply(status: number, options: FakeErrorOptions): { headers: Record<string, string>; body: string };
}

/** Starts a fake provider speaking `format`. */
export async function startFakeProvider(format: FakeWireFormat): Promise<FakeProviderServer> {
  const server = await startFakeLlmServer(format.path);
  return {
    baseUrl: format.baseUrl(server.origin),
    requests: server.requests,
    replyStream(script) {
      const how = script.interrupt?.how;
      server.enqueue({
        kind: 'stream',
        headers: format.streamHeaders,
        frames: (request) => {
          const frames = format.streamFrames(script, request);
          return script.coalesce ? [frames.join('')] : frames;
        },
        delayMs: script.delayMs ?? 0,
        ...(how === 'destroy' || how === 'hang' ? { interruption: how } : {}),
      });
    },
    replyError(status, options = {}) {
      server.enqueue({ kind: 'status', status, ...format.errorReply(status, options) });
    },
    replyHang() {
      server.enqueue({ kind: 'hang' });
    },
    close: () => server.close(),
  };
}
