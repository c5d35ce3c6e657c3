/**
 * Hygiene of the HTTP edge: answers raised before any route runs (ids longer than the router's
 * parameter limit, malformed requests, oversized headers) carry the typed error body, and a client
 * that aborts its request body is not logged as "database unavailable".
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { Writable } from 'node:stream';
import { isErrorCode } from '@miptech/protocol';
import { createLogger } from '../../src/base/logger.ts';
import { api } from '@miptech/testing/api-client.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';

let tp: TestPlatform;
const logChunks: string[] = [];

before(async () => {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logChunks.push(String(chunk));
      done();
    },
  });
  tp = await startTestPlatform({ env: { LOG_LEVEL: 'info' }, overrides: { logger: createLogger('info', sink) } });
});
after(() => tp.close());

/** Writes raw bytes and reads until the server closes (or `settleMs` passes): the whole answer. */
function raw(text: string, settleMs = 3_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(tp.port, '127.0.0.1', () => socket.write(text));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', () => undefined);
    const timer = setTimeout(() => socket.destroy(), settleMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

function typedBody(answer: string): { status: number; body: Record<string, unknown> } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
  return { status, body: JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown> };
}

test('a chat id of 101-128 characters (the id pattern allows them) reaches the route: 404 chat_not_found, typed', async () => {
  const token = await tp.mintToken();
  for (const length of [101, 110, 128]) {
    const id = `chat_${'a'.repeat(length - 5)}`;
    const res = await api(tp.url, 'GET', `/api/v1/chat/${id}`, { token, tenantId: tp.tenantId });
    assert.equal(res.status, 404, `${length}: ${res.text}`);
    assert.equal(res.body.code, 'chat_not_found');
    assert.equal(typeof res.body.request_id, 'string');
  }
});

test('a path parameter beyond the router limit → 414 uri_too_long with the typed body', async () => {
  const token = await tp.mintToken();
  const res = await api(tp.url, 'GET', `/api/v1/chat/chat_${'a'.repeat(400)}`, { token, tenantId: tp.tenantId });
  assert.equal(res.status, 414, res.text);
  assert.equal(res.body.code, 'uri_too_long');
  assert.equal(typeof res.body.request_id, 'string');
});

test('a malformed request and oversized headers get the typed body (bad_request, headers_too_large)', async () => {
  const malformed = typedBody(await raw('GET /healthz HTTP/1.1\r\nHost 127.0.0.1 no colon\r\n\r\n'));
  assert.equal(malformed.status, 400);
  assert.equal(malformed.body.code, 'bad_request');
  assert.ok(isErrorCode(malformed.body.code) && typeof malformed.body.request_id === 'string');

  const huge = typedBody(await raw(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`));
  assert.equal(huge.status, 431);
  assert.equal(huge.body.code, 'headers_too_large');
});

test('bad JSON and a wrong content type keep their typed bodies', async () => {
  const token = await tp.mintToken();
  const badJson = await fetch(`${tp.url}/api/v1/chat`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'x-tenant-id': tp.tenantId, 'content-type': 'application/json' }, body: '{"title": ' });
  assert.equal(badJson.status, 400);
  assert.equal(((await badJson.json()) as { code: string }).code, 'invalid_json');
  const xml = await fetch(`${tp.url}/api/v1/chat`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'x-tenant-id': tp.tenantId, 'content-type': 'application/xml' }, body: '<a/>' });
  assert.equal(xml.status, 415);
  assert.equal(((await xml.json()) as { code: string }).code, 'unsupported_media_type');
});

test('clients that abort their request body are not logged as "database unavailable"', async () => {
  const token = await tp.mintToken();
  const before = logChunks.length;
  const ABORTS = 10;
  await Promise.all(
    Array.from(
      { length: ABORTS },
      () =>
        new Promise<void>((resolve) => {
          const socket = connect(tp.port, '127.0.0.1', () => {
            socket.write(
              `POST /api/v1/chat HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nX-Tenant-ID: ${tp.tenantId}\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"title": "`,
            );
            setTimeout(() => socket.destroy(), 150);
          });
          socket.on('error', () => undefined);
          socket.on('close', () => resolve());
        }),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 500));
  // The server is fine afterwards, and its log has no false outage.
  assert.equal((await api(tp.url, 'GET', '/healthz')).status, 200);
  const lines = logChunks.slice(before).join('').split('\n').filter(Boolean).map((line) => JSON.parse(line) as { msg: string; level: number });
  const falseOutages = lines.filter((line) => line.msg === 'database unavailable');
  assert.equal(falseOutages.length, 0, `${falseOutages.length} of ${ABORTS} aborted bodies logged as "database unavailable"`);
  assert.equal(lines.filter((line) => line.level >= 50).length, 0, 'no error lines either');
});
