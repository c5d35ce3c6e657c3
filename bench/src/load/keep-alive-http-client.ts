/**
 * A minimal HTTP/1.1 keep-alive client for the load generator. Node's http client costs about as
 * much CPU per request as a bare Fastify route, so a generator built on it would measure itself;
 * this one writes a preformatted request and parses only the status line, the length and the body.
 * One request in flight per connection (no pipelining), like a browser.
 */
import { connect, type Socket } from 'node:net';

export interface HttpResponse {
  status: number;
  body: string;
}

interface InFlight {
  resolve(response: HttpResponse): void;
  reject(error: Error): void;
}

const HEADER_END = Buffer.from('\r\n\r\n');

/** One keep-alive TCP connection. */
export class KeepAliveConnection {
  private buffer: Buffer = Buffer.alloc(0);
  private inFlight: InFlight | null = null;
  private closedError: Error | null = null;

  private constructor(private readonly socket: Socket, private readonly hostHeader: string) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
      this.tryParse();
    });
    const fail = (error: Error) => {
      this.closedError ??= error;
      const pending = this.inFlight;
      this.inFlight = null;
      pending?.reject(this.closedError);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed')));
  }

  static open(host: string, port: number, timeoutMs = 10_000): Promise<KeepAliveConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${host}:${port} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new KeepAliveConnection(socket, `${host}:${port}`));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  get usable(): boolean {
    return this.closedError === null && this.inFlight === null;
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /** Sends one request; `headers` are extra header lines without the trailing CRLF. */
  request(method: string, path: string, headers: readonly string[], body: string | null): Promise<HttpResponse> {
    if (this.closedError) return Promise.reject(this.closedError);
    if (this.inFlight) return Promise.reject(new Error('a request is already in flight on this connection'));
    return new Promise((resolve, reject) => {
      this.inFlight = { resolve, reject };
      const lines = [`${method} ${path} HTTP/1.1`, `Host: ${this.hostHeader}`, ...headers];
      if (body !== null) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
      this.socket.write(`${lines.join('\r\n')}\r\n\r\n${body ?? ''}`);
    });
  }

  close(): void {
    this.closedError ??= new Error('connection closed by client');
    this.socket.destroy();
  }

  private tryParse(): void {
    if (!this.inFlight) return;
    const headerEnd = this.buffer.indexOf(HEADER_END);
    if (headerEnd < 0) return;
    const head = this.buffer.toString('latin1', 0, headerEnd);
    const statusMatch = /^HTTP\/1\.[01] (\d{3})/.exec(head);
    if (!statusMatch) return this.protocolError('bad status line');
    const bodyStart = headerEnd + HEADER_END.length;
    const lengthMatch = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    let body: string;
    let consumed: number;
    if (lengthMatch) {
      const length = Number(lengthMatch[1]);
      if (this.buffer.length < bodyStart + length) return;
      body = this.buffer.toString('utf8', bodyStart, bodyStart + length);
      consumed = bodyStart + length;
    } else if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      const decoded = decodeChunked(this.buffer, bodyStart);
      if (!decoded) return;
      body = decoded.body;
      consumed = decoded.end;
    } else {
      body = '';
      consumed = bodyStart;
    }
    this.buffer = this.buffer.subarray(consumed);
    const pending = this.inFlight;
    this.inFlight = null;
    pending.resolve({ status: Number(statusMatch[1]), body });
  }

  private protocolError(message: string): void {
    const pending = this.inFlight;
    this.inFlight = null;
    this.close();
    pending?.reject(new Error(message));
  }
}

/** Decodes a complete chunked body starting at `start`; null while it is still incomplete. */
function decodeChunked(buffer: Buffer, start: number): { body: string; end: number } | null {
  const parts: Buffer[] = [];
  let offset = start;
  for (let guard = 0; guard < 100_000; guard++) {
    const lineEnd = buffer.indexOf('\r\n', offset);
    if (lineEnd < 0) return null;
    const size = Number.parseInt(buffer.toString('latin1', offset, lineEnd), 16);
    if (!Number.isFinite(size)) throw new Error('bad chunk size');
    const dataStart = lineEnd + 2;
    if (size === 0) {
      // No trailers are sent by the servers under test: the body ends with an empty line.
      if (buffer.length < dataStart + 2) return null;
      return { body: Buffer.concat(parts).toString('utf8'), end: dataStart + 2 };
    }
    if (buffer.length < dataStart + size + 2) return null;
    parts.push(buffer.subarray(dataStart, dataStart + size));
    offset = dataStart + size + 2;
  }
  throw new Error('too many chunks');
}

/** Up to `size` keep-alive connections shared by queued requests. */
export class KeepAlivePool {
  private readonly idle: KeepAliveConnection[] = [];
  private readonly waiting: Array<{ resolve(connection: KeepAliveConnection): void; reject(error: unknown): void }> = [];
  private opened = 0;
  private readonly all = new Set<KeepAliveConnection>();

  constructor(private readonly host: string, private readonly port: number, private readonly size: number) {}

  async request(method: string, path: string, headers: readonly string[], body: string | null): Promise<HttpResponse> {
    const connection = await this.acquire();
    try {
      return await connection.request(method, path, headers, body);
    } finally {
      this.release(connection);
    }
  }

  close(): void {
    for (const waiter of this.waiting.splice(0)) waiter.reject(new Error('pool closed'));
    for (const connection of this.all) connection.close();
    this.all.clear();
    this.idle.length = 0;
  }

  private async acquire(): Promise<KeepAliveConnection> {
    for (;;) {
      const connection = this.idle.pop();
      if (!connection) break;
      if (!connection.closed) return connection;
      this.forget(connection);
    }
    if (this.opened < this.size) {
      this.opened++;
      try {
        const connection = await KeepAliveConnection.open(this.host, this.port);
        this.all.add(connection);
        return connection;
      } catch (error) {
        this.opened--;
        throw error;
      }
    }
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release(connection: KeepAliveConnection): void {
    if (connection.closed) {
      this.forget(connection);
      // A waiter gets a fresh connection instead of the dead one.
      const waiter = this.waiting.shift();
      if (waiter) this.acquire().then(waiter.resolve, waiter.reject);
      return;
    }
    const waiter = this.waiting.shift();
    if (waiter) waiter.resolve(connection);
    else this.idle.push(connection);
  }

  private forget(connection: KeepAliveConnection): void {
    if (this.all.delete(connection)) this.opened--;
  }
}
