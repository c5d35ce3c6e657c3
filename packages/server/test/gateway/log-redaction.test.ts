/** Credentials never reach a log line, even at debug level and even when a client puts them in a URL. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, redactUrl } from '../../src/base/logger.ts';
import { api } from '@miptech/testing/api-client.ts';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';
import { connectWs } from '@miptech/testing/ws-test-client.ts';

test('redactUrl masks credential-like query values only', () => {
  assert.equal(redactUrl('/api/v1/ws/chat?tenant_id=t&token=abc&x=1'), '/api/v1/ws/chat?tenant_id=t&token=[REDACTED]&x=1');
  assert.equal(redactUrl('/p?access_token=abc&API_KEY=k'), '/p?access_token=[REDACTED]&API_KEY=[REDACTED]');
  assert.equal(redactUrl('/plain'), '/plain');
});

test('tokens in headers, bodies and URLs are not logged', async (t) => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const tp = await startTestPlatform({ env: { LOG_LEVEL: 'debug' }, overrides: { logger: createLogger('debug', sink) } });
  t.after(() => tp.close());
  const token = await tp.mintToken();
  const secretInUrl = 'URLTOKENSECRET123';
  await api(tp.url, 'POST', `/api/v1/chat?token=${secretInUrl}`, { token, tenantId: tp.tenantId, body: { session_id: 's' } });
  await api(tp.url, 'POST', '/api/v1/auth/widget-token', { body: { tenant_id: tp.tenantId, previous_token: token }, origin: 'http://localhost:3000' });
  const ws = await connectWs(tp.wsUrl({ token: secretInUrl }));
  ws.send({ type: 'join_chat', data: { create: true, token } });
  await ws.waitFor('chat_joined');
  await ws.close();
  const output = lines.join('');
  assert.ok(output.length > 0, 'something was logged');
  assert.ok(output.includes('[REDACTED]'));
  assert.ok(!output.includes(secretInUrl), 'no URL token');
  assert.ok(!output.includes(token), 'no bearer token');
});
