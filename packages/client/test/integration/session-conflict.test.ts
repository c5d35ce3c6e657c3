/**
 * A stored session id that belongs to another visitor on the real platform (409 session_conflict,
 * e.g. after the visitor's token was lost and a new visitor id issued): the SDK forgets it and
 * starts a new chat once, instead of failing for good.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryStorage, SESSION_STORAGE_KEY } from '@miptech/client';
import { api } from '@miptech/testing/api-client.ts';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';
import { nodeClient } from '../support/client-test-helpers.ts';

test('session_conflict on chat creation: the stored session id is dropped and a new chat is created once', async (t) => {
  const tp = await startTestPlatform();
  t.after(() => tp.close());
  const takenSession = `taken-${crypto.randomUUID()}`;
  const owner = await api(tp.url, 'POST', '/api/v1/chat', { token: await tp.mintToken({ sub: 'first-owner' }), tenantId: tp.tenantId, body: { session_id: takenSession } });
  assert.equal(owner.status, 201);

  const storage = new MemoryStorage();
  storage.setItem(SESSION_STORAGE_KEY, JSON.stringify({ [tp.tenantId]: takenSession, 'other-tenant': 'keep-me' }));
  const client = nodeClient(tp.url, tp.tenantId, { storage, getToken: () => tp.mintToken({ sub: 'newcomer' }) });
  t.after(() => client.close());
  await client.connect();

  const chatId = client.getSnapshot().chatId;
  assert.ok(chatId);
  assert.notEqual(chatId, owner.body.id);
  const stored = JSON.parse(storage.getItem(SESSION_STORAGE_KEY)!) as Record<string, string>;
  assert.notEqual(stored[tp.tenantId], takenSession);
  assert.equal(stored['other-tenant'], 'keep-me');
  const chat = await tp.platform.services.store.chats.get(tp.tenantId, chatId);
  assert.equal(chat?.visitorId, 'newcomer');
  assert.equal(chat?.sessionId, stored[tp.tenantId]);
  const ack = await client.send('still here?');
  assert.ok(ack.id);
});

test('a session id the application passed itself is never replaced: session_conflict fails the connect', async (t) => {
  const tp = await startTestPlatform();
  t.after(() => tp.close());
  const takenSession = `taken-${crypto.randomUUID()}`;
  await api(tp.url, 'POST', '/api/v1/chat', { token: await tp.mintToken({ sub: 'first-owner' }), tenantId: tp.tenantId, body: { session_id: takenSession } });
  const client = nodeClient(tp.url, tp.tenantId, { sessionId: takenSession, getToken: () => tp.mintToken({ sub: 'newcomer' }) });
  t.after(() => client.close());
  await assert.rejects(client.connect(), { code: 'session_conflict' });
});
