/**
 * deployed-clients.md §1/§4: the live widget ("realtime v1") makes no REST call and sends
 * `join_chat {create:true}` on every (re)connect, also after a 1001 of a deploy. The WebSocket
 * handshake hands it a visitor session in the session cookie of the 101 answer; a browser sends it
 * back on the reconnect, which then lands in the same chat (with its history) instead of a new one.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { api } from '@miptech/testing/api-client.ts';
import { startForwardingProxy } from '@miptech/testing/forwarding-proxy.ts';
import { ALLOWED_TEST_ORIGIN, startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectWs, type WsTestClient } from '@miptech/testing/ws-test-client.ts';

/** The envelope keys the live widget adds to every frame. */
function liveWidgetFrame(type: string, data: Record<string, unknown>) {
  return { type, data, timestamp: Date.now(), client_id: null, __normalized: true, __normalizedAt: Date.now() };
}

function setCookies(ws: WsTestClient): string[] {
  const value = ws.upgradeHeaders['set-cookie'];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** `name=value` of the one Set-Cookie of the 101 answer (what a browser sends back). */
function issuedCookie(ws: WsTestClient): { pair: string; attributes: string[] } {
  const cookies = setCookies(ws);
  assert.equal(cookies.length, 1, `one Set-Cookie on the 101 answer, got ${JSON.stringify(cookies)}`);
  const [pair, ...attributes] = cookies[0]!.split(';').map((part) => part.trim());
  return { pair: pair!, attributes };
}

/** Opens a socket the way the live widget does and joins with create:true at once. */
async function liveWidgetJoin(tp: TestPlatform, headers: Record<string, string> = {}) {
  const ws = await connectWs(tp.wsUrl(), { origin: ALLOWED_TEST_ORIGIN, headers });
  ws.send(liveWidgetFrame('join_chat', { channel: 'website', create: true }));
  const joined = await ws.waitFor('chat_joined');
  return { ws, joined, created: ws.frames.some((frame) => frame.type === 'chat_created') };
}

describe('live widget (realtime v1): the visitor session of the WebSocket handshake', () => {
  test('a reconnect after 1001 (restart) that sends the cookie back lands in the same chat with its history; another visitor gets another chat', async (t) => {
    let tp = await startTestPlatform();
    t.after(() => tp.close());

    const first = await liveWidgetJoin(tp);
    const cookie = issuedCookie(first.ws);
    assert.match(cookie.pair, new RegExp(`^miptech_session_id\\.${tp.tenantId}=[A-Za-z0-9-]{16,}$`));
    // The same attributes as the REST cookie over plain http.
    for (const attribute of ['Path=/api/v1', 'HttpOnly', 'SameSite=Lax']) assert.ok(cookie.attributes.includes(attribute), attribute);
    assert.ok(first.created, 'the first join creates the chat');
    const chatId = first.joined.chat_id!;
    first.ws.send(liveWidgetFrame('chat_message', { message: 'What is MIPTech?', stream: true, message_id: `msg_${Date.now()}_a1b2c3` }));
    const answer = await first.ws.collectAnswer();
    assert.notEqual(answer.complete.data.content, '');

    // A deploy: the node closes the socket with 1001 (the widget reconnects after 1001).
    tp = await tp.restart();
    assert.equal((await first.ws.waitForClose()).code, 1001);

    const again = await liveWidgetJoin(tp, { cookie: cookie.pair });
    t.after(() => again.ws.close());
    assert.equal(again.joined.chat_id, chatId, 'the same chat');
    assert.equal(again.created, false, 'no chat_created: nothing new was created');
    assert.deepEqual(setCookies(again.ws), [], 'a handshake that brought its session gets no new one');
    const history = await api(tp.url, 'GET', `/api/v1/chat/${chatId}/messages`, { origin: ALLOWED_TEST_ORIGIN, tenantId: tp.tenantId, headers: { cookie: cookie.pair } });
    assert.equal(history.status, 200);
    assert.deepEqual(
      history.body.items.map((item: { role: string; content: string }) => [item.role, item.content]),
      [
        ['user', 'What is MIPTech?'],
        ['assistant', answer.complete.data.content],
      ],
    );
    // The conversation goes on in that chat.
    again.ws.send(liveWidgetFrame('chat_message', { message: 'And then?', stream: true }));
    const next = await again.ws.collectAnswer();
    assert.equal(next.complete.chat_id, chatId);

    // A visitor without the cookie is another visitor: a new chat, and a session of its own.
    const other = await liveWidgetJoin(tp);
    t.after(() => other.ws.close());
    assert.ok(other.created);
    assert.notEqual(other.joined.chat_id, chatId);
    assert.notEqual(issuedCookie(other.ws).pair, cookie.pair);
    // …that cannot read the first visitor's chat.
    const foreign = await api(tp.url, 'GET', `/api/v1/chat/${chatId}/messages`, {
      origin: ALLOWED_TEST_ORIGIN,
      tenantId: tp.tenantId,
      headers: { cookie: issuedCookie(other.ws).pair },
    });
    assert.equal(foreign.status, 404);
  });

  test('over https behind a trusted proxy the cookie is SameSite=None; Secure; Partitioned, as over REST', async (t) => {
    const tp = await startTestPlatform({ env: { TRUST_PROXY: 'true' } });
    t.after(() => tp.close());
    const proxy = await startForwardingProxy(tp.port, { proto: 'https' });
    t.after(() => proxy.close());
    const ws = await connectWs(`ws://127.0.0.1:${proxy.port}/api/v1/ws/chat?tenant_id=${tp.tenantId}`, { origin: ALLOWED_TEST_ORIGIN });
    t.after(() => ws.close());
    const { attributes } = issuedCookie(ws);
    for (const attribute of ['HttpOnly', 'SameSite=None', 'Secure', 'Partitioned']) assert.ok(attributes.includes(attribute), attribute);
  });

  test('X-Forwarded-Proto from a client that is not a trusted proxy is ignored', async (t) => {
    const tp = await startTestPlatform();
    t.after(() => tp.close());
    const ws = await connectWs(tp.wsUrl(), { origin: ALLOWED_TEST_ORIGIN, headers: { 'x-forwarded-proto': 'https' } });
    t.after(() => ws.close());
    const { attributes } = issuedCookie(ws);
    assert.ok(attributes.includes('SameSite=Lax'));
    assert.ok(!attributes.includes('Secure'));
  });

  test('a token join does not bind its chat to the issued session (the token names the visitor)', async (t) => {
    const tp = await startTestPlatform();
    t.after(() => tp.close());
    const ws = await connectWs(tp.wsUrl(), { origin: ALLOWED_TEST_ORIGIN });
    t.after(() => ws.close());
    issuedCookie(ws);
    ws.send({ type: 'join_chat', data: { create: true, token: await tp.mintToken({ sub: 'sdk-visitor' }) } });
    const created = await ws.waitFor('chat_created');
    assert.equal(created.data.session_id, null);
    const chat = await tp.platform.services.store.chats.get(tp.tenantId, created.chat_id!);
    assert.equal(chat?.sessionId, null);
    assert.equal(chat?.visitorId, 'sdk-visitor');
  });
});
