/**
 * An upgrade the gateway does not accept is answered with an HTTP error carrying the typed error
 * body (`{code, message, request_id}`), not an empty or plain-text one: wrong path (404 not_found),
 * another method than GET (405 method_not_allowed, Allow: GET), a request that is not a WebSocket
 * handshake (400 invalid_upgrade). A missing tenant_id keeps the guide's answer: the upgrade is
 * accepted and closed with 1008 `tenant_id required`, which a browser can read (an HTTP body it
 * cannot) and which tells clients not to reconnect.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';
import { connectWs } from '@miptech/testing/ws-test-client.ts';
import { rawUpgrade, type UpgradeAnswer } from './raw-ws-upgrade.ts';

function assertTyped(answer: UpgradeAnswer, status: number, code: string): void {
  assert.equal(answer.status, status, answer.body);
  assert.match(String(answer.headers['content-type']), /^application\/json/);
  const body = JSON.parse(answer.body);
  assert.equal(body.code, code);
  assert.equal(typeof body.message, 'string');
  assert.equal(typeof body.request_id, 'string');
  assert.equal(answer.socket, null);
}

test('bad upgrades get the typed error body', async (t) => {
  const tp = await startTestPlatform();
  t.after(() => tp.close());
  const wsUrl = tp.wsUrl();

  assertTyped(await rawUpgrade(wsUrl.replace('/api/v1/ws/chat', '/api/v1/ws/nope')), 404, 'not_found');
  const post = await rawUpgrade(wsUrl, { method: 'POST' });
  assertTyped(post, 405, 'method_not_allowed');
  assert.equal(post.headers.allow, 'GET');
  assertTyped(await rawUpgrade(wsUrl, { bareUpgrade: true }), 400, 'invalid_upgrade');
  assertTyped(await rawUpgrade(wsUrl, { headers: { 'Sec-WebSocket-Version': '12' } }), 400, 'invalid_upgrade');
  assertTyped(await rawUpgrade(wsUrl, { headers: { 'Sec-WebSocket-Key': 'short' } }), 400, 'invalid_upgrade');

  const noTenant = await connectWs(wsUrl.replace(/\?.*$/, ''));
  assert.deepEqual(await noTenant.waitForClose(), { code: 1008, reason: 'tenant_id required' });
});
