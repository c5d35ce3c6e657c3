/**
 * A request whose headers, or whose body, never finish arriving is not held for ever: with
 * HTTP_REQUEST_TIMEOUT_MS / HTTP_HEADERS_TIMEOUT_MS set small, raw sockets that send headers and a
 * Content-Length and then stall are closed within the bound, while an open WebSocket (which has
 * left HTTP behind) and a normal request are not affected.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { loadConfig } from '../../src/base/config.ts';
import { api } from '@miptech/testing/api-client.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin } from '@miptech/testing/ws-test-client.ts';

const REQUEST_TIMEOUT_MS = 600;
const HEADERS_TIMEOUT_MS = 400;
/** Node checks pending requests on an interval (a quarter of the shorter bound here): allow for it and a loaded machine. */
const CLOSED_WITHIN_MS = REQUEST_TIMEOUT_MS + 1_500;
const STALLED = 40;

let tp: TestPlatform;
before(async () => {
  tp = await startTestPlatform({
    env: { HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), HTTP_HEADERS_TIMEOUT_MS: String(HEADERS_TIMEOUT_MS), HTTP_CONNECTION_TIMEOUT_MS: '1000' },
  });
});
after(() => tp.close());

/** Opens a raw connection, writes `text` and never more; resolves with the time the server took to close it and what it answered. */
function stall(text: string): Promise<{ closedAfterMs: number; answer: string; socket: Socket }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = connect(tp.port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve({ closedAfterMs: Date.now() - started, answer, socket }));
    setTimeout(() => {
      socket.destroy();
      reject(new Error(`socket still open after ${CLOSED_WITHIN_MS * 3} ms`));
    }, CLOSED_WITHIN_MS * 3).unref();
  });
}

test(`${STALLED} requests whose body never arrives are all closed within the request timeout`, async () => {
  const head = `POST /api/v1/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\nX-Tenant-ID: ${tp.tenantId}\r\n\r\n{"ses`;
  const results = await Promise.all(Array.from({ length: STALLED }, () => stall(head)));
  const late = results.filter((result) => result.closedAfterMs > CLOSED_WITHIN_MS);
  assert.equal(late.length, 0, `closed after ${results.map((result) => result.closedAfterMs).join(', ')} ms`);
  assert.ok(results.every((result) => result.closedAfterMs >= REQUEST_TIMEOUT_MS - 50), 'not before the bound');
  assert.match(results[0]!.answer, /^HTTP\/1\.1 408/);
  const body = JSON.parse(results[0]!.answer.slice(results[0]!.answer.indexOf('\r\n\r\n') + 4)) as { code: string; request_id: string };
  assert.equal(body.code, 'request_timeout');
  assert.equal(typeof body.request_id, 'string');
});

test('a request whose headers never finish is closed within the headers timeout', async () => {
  const result = await stall(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a`);
  assert.ok(result.closedAfterMs <= HEADERS_TIMEOUT_MS + 1_500, `closed after ${result.closedAfterMs} ms`);
});

test('normal requests and an idle joined WebSocket outlive the bounds', async () => {
  const token = await tp.mintToken();
  const chat = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: tp.tenantId, body: {} });
  assert.equal(chat.status, 201, chat.text);
  const { ws } = await connectAndJoin(tp.wsUrl(), { chatId: chat.body.id, token });
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  await ws.roundTrip();
  assert.equal(ws.socket.readyState, ws.socket.OPEN);
  await ws.close();
  assert.equal((await api(tp.url, 'GET', '/healthz')).status, 200);
});

test('the timeouts are configuration: defaults, and a headers timeout above the request timeout is refused', () => {
  const base = { DATA_DIR: tp.dataDir, JWT_SECRET: 'j'.repeat(40) };
  const defaults = loadConfig(base);
  assert.deepEqual(
    [defaults.httpRequestTimeoutMs, defaults.httpHeadersTimeoutMs, defaults.httpKeepAliveTimeoutMs, defaults.httpConnectionTimeoutMs],
    [30_000, 10_000, 72_000, 120_000],
  );
  assert.throws(() => loadConfig({ ...base, HTTP_REQUEST_TIMEOUT_MS: '1000', HTTP_HEADERS_TIMEOUT_MS: '5000' }), /HTTP_HEADERS_TIMEOUT_MS must not be greater than HTTP_REQUEST_TIMEOUT_MS/);
  assert.throws(() => loadConfig({ ...base, HTTP_REQUEST_TIMEOUT_MS: '0' }), /HTTP_REQUEST_TIMEOUT_MS must be an integer/);
});
