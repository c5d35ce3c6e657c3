/**
 * Tenant isolation: a token of tenant B can neither create, join, read nor send in tenant A's
 * chats, whichever tenant the request names; and a visitor cannot reach another visitor's chat.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '@miptech/testing/api-client.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin, connectWs } from '@miptech/testing/ws-test-client.ts';

let tp: TestPlatform;
let chatOfA: string;
let tokenA: string;
let tokenB: string;
const TENANT_A = 'tenant-a';
const TENANT_B = 'tenant-b';

before(async () => {
  tp = await startTestPlatform();
  await tp.createTenant(TENANT_A);
  await tp.createTenant(TENANT_B);
  tokenA = await tp.mintToken({ tenantId: TENANT_A, sub: 'shared-sub' });
  // Same subject in tenant B: identity is per tenant, the sub alone grants nothing.
  tokenB = await tp.mintToken({ tenantId: TENANT_B, sub: 'shared-sub' });
  const created = await api(tp.url, 'POST', '/api/v1/chat', { token: tokenA, tenantId: TENANT_A, body: { session_id: 'session-a' } });
  assert.equal(created.status, 201);
  chatOfA = created.body.id;
  const { ws } = await connectAndJoin(tp.wsUrl({}, TENANT_A), { chatId: chatOfA, token: tokenA });
  ws.send({ type: 'user_message', data: { chat_id: chatOfA, text: 'secret of A' } });
  await ws.collectAnswer();
  await ws.close();
});
after(() => tp.close());

test('B cannot create a chat in tenant A (tenant_mismatch), nor take over A’s session id', async () => {
  const inA = await api(tp.url, 'POST', '/api/v1/chat', { token: tokenB, tenantId: TENANT_A, body: { session_id: 'session-a' } });
  assert.equal(inA.status, 403);
  assert.equal(inA.body.code, 'tenant_mismatch');
  // In its own tenant the same session id is a different chat.
  const inB = await api(tp.url, 'POST', '/api/v1/chat', { token: tokenB, tenantId: TENANT_B, body: { session_id: 'session-a' } });
  assert.equal(inB.status, 201);
  assert.notEqual(inB.body.id, chatOfA);
});

test('B cannot read A’s chat or its messages', async () => {
  for (const path of [`/api/v1/chat/${chatOfA}`, `/api/v1/chat/${chatOfA}/messages`]) {
    const namingA = await api(tp.url, 'GET', path, { token: tokenB, tenantId: TENANT_A });
    assert.equal(namingA.status, 403);
    assert.equal(namingA.body.code, 'tenant_mismatch');
    const namingB = await api(tp.url, 'GET', path, { token: tokenB, tenantId: TENANT_B });
    assert.equal(namingB.status, 404);
    assert.equal(namingB.body.code, 'chat_not_found');
    assert.ok(!namingB.text.includes('secret of A'));
  }
});

test('B cannot send to A’s chat over REST', async () => {
  const res = await api(tp.url, 'POST', `/api/v1/chat/${chatOfA}/messages`, { token: tokenB, tenantId: TENANT_B, body: { content: 'intrusion', role: 'user' } });
  assert.equal(res.status, 404);
  const stored = await tp.platform.services.store.messages.list(TENANT_A, chatOfA, { limit: 50 });
  assert.ok(stored.items.every((message) => message.content !== 'intrusion'));
});

test('B cannot join A’s chat over the WebSocket, on either tenant’s URL', async () => {
  const onA = await connectWs(tp.wsUrl({}, TENANT_A));
  onA.send({ type: 'join_chat', data: { chat_id: chatOfA, token: tokenB } });
  assert.equal((await onA.waitFor('error')).data.code, 'tenant_mismatch');
  assert.equal((await onA.waitForClose()).code, 4403);

  const onB = await connectWs(tp.wsUrl({}, TENANT_B));
  onB.send({ type: 'join_chat', data: { chat_id: chatOfA, token: tokenB } });
  assert.equal((await onB.waitFor('error')).data.code, 'chat_access_denied');
  assert.equal((await onB.waitForClose()).code, 4403);
});

test('a join_chat naming another tenant than the connection is refused', async () => {
  const ws = await connectWs(tp.wsUrl({}, TENANT_B));
  ws.send({ type: 'join_chat', data: { chat_id: chatOfA, tenant_id: TENANT_A, token: tokenA } });
  assert.equal((await ws.waitFor('error')).data.code, 'tenant_mismatch');
  assert.equal((await ws.waitForClose()).code, 4403);
});

test('B’s socket never receives A’s events', async () => {
  const chatOfB = await api(tp.url, 'POST', '/api/v1/chat', { token: tokenB, tenantId: TENANT_B, body: {} });
  const { ws: watcherB } = await connectAndJoin(tp.wsUrl({}, TENANT_B), { chatId: chatOfB.body.id, token: tokenB });
  const { ws: writerA } = await connectAndJoin(tp.wsUrl({}, TENANT_A), { chatId: chatOfA, token: tokenA });
  writerA.send({ type: 'user_message', data: { chat_id: chatOfA, text: 'private to A' } });
  await writerA.collectAnswer();
  assert.ok(watcherB.frames.every((frame) => frame.chat_id !== chatOfA && frame.tenant_id === TENANT_B));
  await writerA.close();
  await watcherB.close();
});
