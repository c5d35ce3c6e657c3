/**
 * A WebSocket upgrade request made by hand (node:http), so a test sees the refusal an ordinary
 * WebSocket client hides: status, headers and body; or, when accepted, the open TCP socket (held
 * open to occupy a connection slot).
 */
import { request } from 'node:http';
import type { Socket } from 'node:net';

export interface UpgradeAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** The upgraded socket when the server answered 101. */
  socket: Socket | null;
}

export interface RawUpgradeOptions {
  method?: string;
  headers?: Record<string, string>;
  localAddress?: string;
  /** Leave out the WebSocket handshake headers (a plain request with Upgrade: websocket only). */
  bareUpgrade?: boolean;
}

export function rawUpgrade(url: string, options: RawUpgradeOptions = {}): Promise<UpgradeAnswer> {
  const target = new URL(url.replace(/^ws/, 'http'));
  const handshake = options.bareUpgrade
    ? {}
    : { 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' };
  return new Promise((resolve, reject) => {
    const req = request({
      host: target.hostname,
      port: target.port,
      path: `${target.pathname}${target.search}`,
      method: options.method ?? 'GET',
      localAddress: options.localAddress,
      headers: { Connection: 'Upgrade', Upgrade: 'websocket', ...handshake, ...options.headers },
    });
    req.on('upgrade', (res, socket) => {
      socket.on('error', () => undefined);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '', socket });
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, socket: null }));
    });
    req.on('error', reject);
    req.end();
  });
}
