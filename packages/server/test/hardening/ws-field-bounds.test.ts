/**
 * The field bounds REST enforces (FIELD_BOUNDS in @miptech/protocol) hold over WebSocket too, on
 * both stores: an over-long session_id, channel, client_message_id or chat_id gets a typed
 * `validation_error` (a join: and close 4400, which clients do not retry), is not stored, and never
 * becomes internal_error + 1011 (PostgreSQL refusing the index entry), which tells clients to
 * resend the same frame. Error frames never echo the over-long value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FIELD_BOUNDS } from '@miptech/protocol';
import { startTestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin, connectWs } from '@miptech/testing/ws-test-client.ts';

test('over-long join_chat fields: validation_error and 4400, nothing stored', async (t) => {
  const tp = await startTestPlatform();
  t.after(() => tp.close());
  const token = await tp.mintToken();
  const chats = tp.platform.services.store.chats;

  // 12 KB fits the pre-join frame limit: the field bound answers it.
  const session = `s${'x'.repeat(12_000)}`;
  const ws = await connectWs(tp.wsUrl());
  ws.send({ type: 'join_chat', data: { create: true, token, session_id: session } });
  const error = await ws.waitFor('error');
  assert.equal(error.data.code, 'validation_error');
  assert.match(error.data.message, /session_id longer than 128 characters/);
  assert.ok(JSON.stringify(error).length < 1000, 'the value is not echoed');
  assert.equal((await ws.waitForClose()).code, 4400);
  assert.equal(await chats.findBySession(tp.tenantId, session), null);

  // 40 KB is over the pre-join frame limit: refused before it is read.
  const huge = `s${'y'.repeat(40_000)}`;
  const big = await connectWs(tp.wsUrl());
  big.send({ type: 'join_chat', data: { create: true, token, session_id: huge } });
  assert.equal((await big.waitForClose()).code, 1009);
  assert.equal(await chats.findBySession(tp.tenantId, huge), null);

  const channel = await connectWs(tp.wsUrl());
  channel.send({ type: 'join_chat', data: { create: true, token, channel: 'c'.repeat(FIELD_BOUNDS.channelChars + 1) } });
  assert.equal((await channel.waitFor('error')).data.code, 'validation_error');
  assert.equal((await channel.waitForClose()).code, 4400);

  // The same bound on the handshake URL's session_id.
  const urlSession = `u${'z'.repeat(2000)}`;
  const viaUrl = await connectWs(tp.wsUrl({ session_id: urlSession }));
  viaUrl.send({ type: 'join_chat', data: { create: true, token } });
  assert.equal((await viaUrl.waitFor('error')).data.code, 'validation_error');
  assert.equal((await viaUrl.waitForClose()).code, 4400);
  assert.equal(await chats.findBySession(tp.tenantId, urlSession), null);

  // At the bound it is accepted.
  const atBound = 'b'.repeat(FIELD_BOUNDS.sessionIdChars);
  const { ws: ok, joined } = await connectAndJoin(tp.wsUrl(), { create: true, token, sessionId: atBound });
  t.after(() => ok.close());
  assert.equal((await chats.findBySession(tp.tenantId, atBound))?.id, joined.data.chat_id);
});

test('after the join: over-long client_message_id and chat_id get validation_error without an echo; the socket stays open', async (t) => {
  const tp = await startTestPlatform();
  t.after(() => tp.close());
  const token = await tp.mintToken();
  const { ws, joined } = await connectAndJoin(tp.wsUrl(), { create: true, token });
  t.after(() => ws.close());
  const chatId = joined.data.chat_id as string;

  ws.mark();
  ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'hello', client_message_id: 'm'.repeat(FIELD_BOUNDS.idChars + 1) } });
  const tooLongId = await ws.waitFor('error');
  assert.equal(tooLongId.data.code, 'validation_error');
  assert.match(tooLongId.data.message, /client_message_id/);

  ws.mark();
  ws.send({ type: 'stop_generation', data: { chat_id: 'c'.repeat(60_000) } });
  const stop = await ws.waitFor('error');
  assert.equal(stop.data.code, 'validation_error');
  assert.ok(JSON.stringify(stop).length < 1000, `the 60 KB chat_id is not echoed (${JSON.stringify(stop).length} bytes)`);

  ws.mark();
  await ws.roundTrip();
  const messages = await tp.platform.services.store.messages.list(tp.tenantId, chatId, { limit: 10 });
  assert.equal(messages.items.length, 0, 'the message with the over-long id was not stored');
});
