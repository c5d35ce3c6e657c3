/**
 * The request log at info level: one line per REST request with request id, tenant, route
 * pattern, method, status and duration — and, after a whole run (chat created, messages sent over
 * REST and WebSocket, a widget token minted, the admin API and /metrics used), no token, no key
 * and no message text anywhere in the log.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { SignJWT } from 'jose';
import { createLogger } from '../../src/base/logger.ts';
import { api } from '@miptech/testing/api-client.ts';
import { connectAndJoin } from '@miptech/testing/ws-test-client.ts';
import { ALLOWED_TEST_ORIGIN, startTestPlatform } from '@miptech/testing/test-platform.ts';

const METRICS_TOKEN = 'metrics-token-never-logged-31415';

interface LogLine {
  level: number;
  msg: string;
  reqId?: string;
  tenant?: string;
  route?: string;
  method?: string;
  status?: number;
  ms?: number;
}

test('one info line per request; no token, key or message text in the whole log', async (t) => {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const tp = await startTestPlatform({ env: { LOG_LEVEL: 'info', METRICS_TOKEN }, overrides: { logger: createLogger('info', sink) } });
  t.after(() => tp.close());

  const { tenant, secretKey } = await tp.createTenant(`log-${Date.now()}`);
  const token = await tp.mintToken({ tenantId: tenant.id });
  const restText = 'REST-MESSAGE-zebra-quartz-7731';
  const wsText = 'WS-MESSAGE-lantern-pepper-4409';

  // Only a widget token is renewed (a tenant-signed one is refused): the previous token is one.
  const now = Math.floor(Date.now() / 1000);
  const previousWidgetToken = await new SignJWT({ tenant_id: tenant.id, scope: ['chat:create', 'chat:send'], auth_time: now - 60 })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuer('miptech:widget')
    .setSubject('v_log_visitor')
    .setIssuedAt(now - 60)
    .setExpirationTime(now + 600)
    .sign(new TextEncoder().encode(tp.config.jwtSecret!));
  const widgetToken = await api(tp.url, 'POST', '/api/v1/auth/widget-token', {
    tenantId: tenant.id,
    origin: ALLOWED_TEST_ORIGIN,
    body: { publishable_key: tenant.publishableKey, previous_token: previousWidgetToken },
  });
  assert.equal(widgetToken.status, 200, widgetToken.text);
  const issued: string = widgetToken.body.token;
  const chat = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: tenant.id, body: { session_id: crypto.randomUUID(), title: 'log test' } });
  assert.equal(chat.status, 201);
  const chatId: string = chat.body.id;

  const { ws } = await connectAndJoin(tp.wsUrl({}, tenant.id), { token, chatId });
  const posted = await api(tp.url, 'POST', `/api/v1/chat/${chatId}/messages`, { token, tenantId: tenant.id, body: { content: restText } });
  assert.equal(posted.status, 201, posted.text);
  await ws.collectAnswer();
  ws.mark();
  ws.send({ type: 'user_message', data: { chat_id: chatId, text: wsText } });
  await ws.collectAnswer();
  await ws.close();
  const history = await api(tp.url, 'GET', `/api/v1/chat/${chatId}/messages?limit=10`, { token, tenantId: tenant.id });
  assert.ok(history.text.includes(restText) && history.text.includes(wsText), 'both messages were stored');
  assert.equal((await api(tp.url, 'GET', '/api/v1/admin/documents', { headers: { authorization: `Bearer ${secretKey}` } })).status, 200);
  assert.equal((await api(tp.url, 'GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).status, 200);
  assert.equal((await api(tp.url, 'GET', `/api/v1/nothing-here?token=${token}`)).status, 404);

  await tp.close();
  const log = chunks.join('');
  const lines = log
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LogLine);

  // Nothing secret, nothing said.
  for (const [what, secret] of [
    ['the visitor token', token],
    ['the issued widget token', issued],
    ['the renewed widget token', previousWidgetToken],
    ['the publishable key', tenant.publishableKey],
    ['the secret key', secretKey],
    ['the metrics token', METRICS_TOKEN],
    ['the REST message', restText],
    ['the WebSocket message', wsText],
  ] as const) {
    assert.ok(!log.includes(secret), `${what} is not in the log`);
  }

  // One line per request, with the route pattern (never the URL with its ids).
  const requests = lines.filter((line) => line.msg === 'request');
  const routes = requests.map((line) => `${line.method} ${line.route} ${line.status}`);
  for (const expected of [
    'POST /api/v1/auth/widget-token 200',
    'POST /api/v1/chat 201',
    'POST /api/v1/chat/:id/messages 201',
    'GET /api/v1/chat/:id/messages 200',
    'GET /api/v1/admin/documents 200',
    'GET /metrics 200',
    'GET (unmatched) 404',
  ]) {
    assert.ok(routes.includes(expected), `${expected} in ${JSON.stringify(routes)}`);
  }
  assert.equal(requests.length, 7);
  for (const line of requests) {
    assert.equal(line.level, 30, 'info');
    assert.equal(typeof line.reqId, 'string');
    assert.equal(typeof line.ms, 'number');
    assert.ok(!line.route?.includes(chatId), 'the route pattern, not the URL');
  }
  const chatLines = requests.filter((line) => line.route?.startsWith('/api/v1/chat'));
  assert.ok(chatLines.every((line) => line.tenant === tenant.id), 'the tenant of the X-Tenant-ID header');
  assert.equal(new Set(requests.map((line) => line.reqId)).size, requests.length, 'a request id each');
});
