/**
 * The default tenant allows the platform's own address under both loopback names, so the demo
 * page works when opened at http://127.0.0.1:PORT as well as at http://localhost:PORT; a default
 * tenant created by an older version gets the missing name added on start (nothing removed).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '@miptech/testing/api-client.ts';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';
import { connectWs } from '@miptech/testing/ws-test-client.ts';

// startTestPlatform sets PUBLIC_URL=http://localhost:8000.
const LOCALHOST = 'http://localhost:8000';
const LOOPBACK_IP = 'http://127.0.0.1:8000';

test('a fresh default tenant allows http://127.0.0.1:PORT next to http://localhost:PORT (CORS and the anonymous widget)', async (t) => {
  const tp = await startTestPlatform();
  t.after(() => tp.close());
  const tenant = await tp.platform.services.store.tenants.get(tp.tenantId);
  assert.deepEqual(tenant?.settings.allowedOrigins, [LOCALHOST, LOOPBACK_IP, 'http://localhost:3000']);

  const config = await api(tp.url, 'GET', '/api/v1/chat/config', { tenantId: tp.tenantId, origin: LOOPBACK_IP });
  assert.equal(config.status, 200);
  assert.equal(config.headers.get('access-control-allow-origin'), LOOPBACK_IP);
  const token = await api(tp.url, 'POST', '/api/v1/auth/widget-token', { origin: LOOPBACK_IP, body: { tenant_id: tp.tenantId } });
  assert.equal(token.status, 200, token.text);

  const ws = await connectWs(tp.wsUrl(), { origin: LOOPBACK_IP });
  t.after(() => ws.close());
  ws.send({ type: 'join_chat', data: { channel: 'website', create: true } });
  await ws.waitFor('chat_joined');
});

test('an existing default tenant that allows localhost:PORT gets 127.0.0.1:PORT added on start; nothing else changes', async (t) => {
  let tp = await startTestPlatform();
  t.after(() => tp.close());
  const tenants = tp.platform.services.store.tenants;
  // What an older version created, then edited by the operator (localhost:3000 removed, a site added).
  await tenants.updateSettings(tp.tenantId, { allowedOrigins: [LOCALHOST, 'https://www.example.com'] });

  tp = await tp.restart();
  const after = await tp.platform.services.store.tenants.get(tp.tenantId);
  assert.deepEqual(after?.settings.allowedOrigins, [LOCALHOST, 'https://www.example.com', LOOPBACK_IP]);
  const config = await api(tp.url, 'GET', '/api/v1/chat/config', { tenantId: tp.tenantId, origin: LOOPBACK_IP });
  assert.equal(config.headers.get('access-control-allow-origin'), LOOPBACK_IP);

  // An operator who allows neither loopback name keeps exactly that.
  await tp.platform.services.store.tenants.updateSettings(tp.tenantId, { allowedOrigins: ['https://www.example.com'] });
  tp = await tp.restart();
  assert.deepEqual((await tp.platform.services.store.tenants.get(tp.tenantId))?.settings.allowedOrigins, ['https://www.example.com']);
});
