/**
 * Refusing an upgrade before the WebSocket handshake: an HTTP answer with the REST error body
 * (`{code, message, request_id}`, the code from @miptech/protocol's table) so a client — or an
 * operator with curl — learns why, instead of an empty body or ws's plain-text one.
 */
import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ERROR_CODES, type ErrorBody, type ErrorCode } from '@miptech/protocol';

export interface UpgradeRefusalOptions {
  retryAfterSeconds?: number;
  headers?: Record<string, string>;
}

export function refuseUpgrade(socket: Duplex, code: ErrorCode, options: UpgradeRefusalOptions = {}): void {
  const spec = ERROR_CODES[code];
  const body: ErrorBody = { code, message: spec.message, request_id: randomUUID() };
  if (options.retryAfterSeconds !== undefined) body.retry_after = options.retryAfterSeconds;
  const json = JSON.stringify(body);
  const headers: Record<string, string> = {
    Connection: 'close',
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(json)),
    ...(options.retryAfterSeconds !== undefined ? { 'Retry-After': String(options.retryAfterSeconds) } : {}),
    ...options.headers,
  };
  const head = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  // Destroyed once written: a client that never reads must not keep the socket (and its slot) open.
  socket.once('finish', () => socket.destroy());
  socket.end(`HTTP/1.1 ${spec.status} ${STATUS_CODES[spec.status] ?? ''}\r\n${head}\r\n${json}`);
}

const KEY_PATTERN = /^[+/0-9A-Za-z]{22}==$/;

/**
 * Why an upgrade request is not a WebSocket handshake ws would accept (RFC 6455 §4.2.1), as the
 * error code to answer with; null when it is one. Checked here so the refusal has a typed body.
 */
export function upgradeRequestProblem(request: IncomingMessage): 'method_not_allowed' | 'invalid_upgrade' | null {
  if (request.method !== 'GET') return 'method_not_allowed';
  const upgrade = request.headers.upgrade;
  if (typeof upgrade !== 'string' || upgrade.toLowerCase() !== 'websocket') return 'invalid_upgrade';
  const key = request.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !KEY_PATTERN.test(key.trim())) return 'invalid_upgrade';
  const version = request.headers['sec-websocket-version'];
  if (version !== '13' && version !== '8') return 'invalid_upgrade';
  return null;
}
