/**
 * A reverse proxy for tests that does what the nginx configuration of docs/deployment.md does with
 * client addresses: it forwards HTTP requests and WebSocket upgrades to the platform and appends the
 * address it received the connection from to X-Forwarded-For (`$proxy_add_x_forwarded_for`), and
 * sets X-Forwarded-Proto. Whatever X-Forwarded-For the client sent stays in front, as with nginx.
 *
 * Clients come from distinct loopback addresses (127.0.0.2, 127.0.0.3, …: `requestFrom`, or the
 * `localAddress` option of connectWs), so "two visitors behind the proxy" are two real peers.
 *
 *   const proxy = await startForwardingProxy(tp.port);
 *   t.after(() => proxy.close());
 *   const res = await requestFrom('127.0.0.2', 'GET', `${proxy.url}/healthz`);
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';

export interface ForwardingProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

function forwardedHeaders(request: IncomingMessage, proto: string): IncomingHttpHeaders {
  const peer = request.socket.remoteAddress ?? 'unknown';
  const previous = request.headers['x-forwarded-for'];
  return {
    ...request.headers,
    'x-forwarded-for': previous ? `${Array.isArray(previous) ? previous.join(', ') : previous}, ${peer}` : peer,
    'x-forwarded-proto': proto,
  };
}

export interface RequestFromOptions {
  headers?: Record<string, string>;
  /** Sent as JSON. */
  body?: unknown;
}

/** An HTTP request whose socket is bound to `localAddress` (fetch cannot choose it). JSON answer parsed when it is JSON. */
export function requestFrom(
  localAddress: string,
  method: string,
  url: string,
  options: RequestFromOptions = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: any }> {
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string> = { ...options.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) };
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, localAddress, agent: false, timeout: 10_000 }, (response) => {
      const parts: Buffer[] = [];
      response.on('data', (part: Buffer) => parts.push(part));
      response.on('end', () => {
        const text = Buffer.concat(parts).toString('utf8');
        let parsed: unknown = null;
        try {
          parsed = text === '' ? null : JSON.parse(text);
        } catch {
          parsed = null;
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: parsed });
      });
      response.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts the proxy on 127.0.0.1 (a free port) in front of the platform at 127.0.0.1:`targetPort`. */
export async function startForwardingProxy(targetPort: number, options: { proto?: 'http' | 'https' } = {}): Promise<ForwardingProxy> {
  const proto = options.proto ?? 'http';
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    const upstream = httpRequest(
      { host: '127.0.0.1', port: targetPort, method: request.method, path: request.url, headers: forwardedHeaders(request, proto) },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', () => response.destroy());
    request.pipe(upstream);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('upgrade', (request: IncomingMessage, client: Socket, head: Buffer) => {
    const upstream = connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    const headers = forwardedHeaders(request, proto);
    const lines = [`${request.method} ${request.url} HTTP/1.1`];
    for (const [name, value] of Object.entries(headers)) {
      for (const one of Array.isArray(value) ? value : [value]) if (one !== undefined) lines.push(`${name}: ${one}`);
    }
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(client);
    client.pipe(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
