/**
 * The cross-tenant and cross-visitor matrix (issue #15, adversarial suite), over every REST route
 * (from the OpenAPI document: a new route is probed as soon as it exists) and every client frame
 * type (from @miptech/protocol: a new type fails here until the matrix says how to aim it at
 * someone else's chat). Tenant A's credentials against tenant B's chats and documents, and visitor
 * a2's token against visitor a1's chat: every probe of another's resource is refused, and no response
 * body or frame the attacker receives contains anything of the victims (their message texts, document
 * texts, visitor and session ids). Afterwards the victims' chats hold only their own messages.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { CLIENT_FRAME_TYPES, type ClientFrameType } from '@miptech/protocol';
import { api, type ApiResponse } from '@miptech/testing/api-client.ts';
import { restOperations, type RestOperation } from '@miptech/testing/rest-route-inventory.ts';
import { ALLOWED_TEST_ORIGIN } from '@miptech/testing/test-platform.ts';
import { connectAndJoin, connectWs, type WsTestClient } from '@miptech/testing/ws-test-client.ts';
import { assertTypedErrorBody, startAdversarialPlatform } from './adversarial-platform.ts';

const METRICS_TOKEN = 'adversarial-metrics-token-0123456789';

interface Victim {
  sub: string;
  session: string;
  token: string;
  chatId: string;
  messageId: string;
  /** Unique text of the victim's message: must never reach the attacker. */
  secret: string;
}

test('no probe of another tenant or visitor gets anything of theirs, over every route and frame', { timeout: 60_000 }, async (t) => {
  const ap = await startAdversarialPlatform({ env: { METRICS_TOKEN } });
  t.after(() => ap.tp.close());
  const { tp, a, b } = ap;

  async function victim(tenantId: string, name: string): Promise<Victim> {
    const sub = `${name}-${randomBytes(4).toString('hex')}`;
    const session = `session-${name}-${randomBytes(6).toString('hex')}`;
    const token = await tp.mintToken({ tenantId, sub });
    const chat = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId, body: { session_id: session } });
    assert.equal(chat.status, 201, chat.text);
    const secret = `SECRET-${name}-${randomBytes(8).toString('hex')}`;
    const message = await api(tp.url, 'POST', `/api/v1/chat/${chat.body.id}/messages`, { token, tenantId, body: { content: `my secret is ${secret}` } });
    assert.ok(message.status === 201 || message.status === 202, message.text);
    return { sub, session, token, chatId: chat.body.id, messageId: message.body.id ?? message.body.message?.id, secret };
  }
  const a1 = await victim(a.id, 'a1');
  const b1 = await victim(b.id, 'b1');
  const a2Token = await tp.mintToken({ tenantId: a.id, sub: 'a2-attacker' });
  const bDocSecret = `SECRET-bdoc-${randomBytes(8).toString('hex')}`;
  const bDoc = await api(tp.url, 'POST', '/api/v1/admin/documents', { token: b.secretKey, body: { title: `Doc ${bDocSecret}`, content: `Tenant B knows that ${bDocSecret} opens the vault.` } });
  assert.ok(bDoc.status === 201 || bDoc.status === 202, bDoc.text);
  const bDocId = (bDoc.body.id ?? bDoc.body.document?.id) as string;

  /** What an attacker of tenant A (a1 or a2) must never see of B, and a2 never of a1. */
  const forbiddenForA = [b1.secret, b1.sub, b1.session, bDocSecret];
  const forbiddenForA2 = [...forbiddenForA, a1.secret, a1.sub, a1.session];
  const assertClean = (text: string, forbidden: readonly string[], context: string) => {
    for (const value of forbidden) assert.ok(!text.includes(value), `${context}: the response contains ${value}`);
  };

  // Routes that revoke or erase go last; the probes after them use tokens minted afterwards.
  const destructive = (o: RestOperation) => o.method === 'DELETE' || /revoke|erase/.test(o.path);
  const operations = (await restOperations(tp.url)).sort((x, y) => Number(destructive(x)) - Number(destructive(y)));
  let probes = 0;
  const probe = async (operation: RestOperation, path: string, options: Parameters<typeof api>[3], forbidden: readonly string[], mustRefuse: boolean, label: string): Promise<ApiResponse> => {
    const context = `${operation.method} ${path} [${label}]`;
    const res = await api(tp.url, operation.method, path, { origin: ALLOWED_TEST_ORIGIN, ...options });
    probes += 1;
    assertTypedErrorBody(res, context, operation.method);
    // What the attacker put in the path may come back (an echo of its own input, not B's data).
    assertClean(res.text, forbidden.filter((value) => !path.includes(value)), context);
    if (mustRefuse) assert.ok(res.status >= 400, `${context}: answered ${res.status}: ${res.text.slice(0, 200)}`);
    return res;
  };

  for (const operation of operations) {
    const fill = (id: string) => operation.path.replace(/\{[A-Za-z0-9_]+\}/g, id);
    const hasId = operation.pathParams.length > 0;
    const body = operation.bodyTypes.length > 0 ? { content: 'probe', session_id: a1.session, title: 'probe', text: 'probe' } : undefined;
    if (operation.security.includes('secretKey')) {
      // The key decides the tenant: A's key never reaches B's documents, whatever the headers say.
      // Each of B's ids in the path (a document, a visitor, a chat): whatever the route does with it
      // under A's key, B's data is intact afterwards (checked at the end) and none of it comes back.
      for (const id of hasId ? [bDocId, b1.sub, b1.chatId] : ['-']) {
        await probe(operation, fill(id), { token: a.secretKey, tenantId: b.id, body }, forbiddenForA, false, 'A key, B id');
      }
      if (operation.method === 'GET' && operation.path.includes('search')) {
        await probe(operation, `${fill(bDocId)}?q=${encodeURIComponent("Tenant B knows what opens the vault")}`, { token: a.secretKey }, forbiddenForA, false, 'A key searches B');
      }
      continue;
    }
    if (operation.security.includes('visitorToken')) {
      // Another tenant's chat: by its id under our tenant, and under its own tenant with our token.
      await probe(operation, fill(b1.chatId), { token: a2Token, tenantId: a.id, body }, forbiddenForA2, hasId, 'A token, B chat id');
      await probe(operation, fill(b1.chatId), { token: a2Token, tenantId: b.id, body }, forbiddenForA2, true, 'A token, tenant B header');
      await probe(operation, `${fill(b1.chatId)}?tenant_id=${b.id}`, { token: a2Token, body }, forbiddenForA2, true, 'A token, tenant B query');
      // Another visitor's chat in our tenant, and its session id.
      await probe(operation, fill(a1.chatId), { token: a2Token, tenantId: a.id, body }, forbiddenForA2, hasId, 'a2 token, a1 chat');
      await probe(operation, fill(a1.chatId), { tenantId: a.id, headers: { 'x-session-id': a1.session }, body }, forbiddenForA2, true, 'no token, a1 session');
      continue;
    }
    if (operation.security.includes('metricsToken')) {
      await probe(operation, operation.path, { token: a.secretKey }, forbiddenForA2, true, 'tenant key on metrics');
      continue;
    }
    // Public routes (health, config, widget token, assets): under tenant B with A's keys and tokens.
    const res = await probe(operation, `${fill(b1.chatId)}`, {
      tenantId: b.id,
      headers: { 'x-api-key': a.publishableKey, 'x-session-id': b1.session },
      body: body && { publishable_key: a.publishableKey, previous_token: b1.token },
    }, forbiddenForA, false, 'public route, tenant B, A keys');
    if (operation.path.endsWith('/widget-token')) assert.ok(res.status >= 400, `widget-token for tenant B with A's publishable key: ${res.status}`);
  }
  // a2 renewing a1's token under its own tenant: never a1's visitor id.
  const renewal = await api(tp.url, 'POST', '/api/v1/auth/widget-token', { tenantId: a.id, origin: ALLOWED_TEST_ORIGIN, body: { publishable_key: a.publishableKey, previous_token: b1.token } });
  assertClean(renewal.text, forbiddenForA, 'renewal with a B token');

  // Every client frame type, aimed at another's chat from a joined connection of a2.
  const wsFrames: Record<ClientFrameType, (target: Victim) => unknown[]> = {
    join_chat: (target) => [{ type: 'join_chat', data: { chat_id: target.chatId } }, { type: 'join_chat', data: { chat_id: target.chatId, last_seq: 0 } }],
    user_message: (target) => [{ type: 'user_message', data: { chat_id: target.chatId, text: 'attacker message' } }],
    chat_message: (target) => [{ type: 'chat_message', chat_id: target.chatId, message: 'attacker message' }],
    stop_generation: (target) => [{ type: 'stop_generation', data: { chat_id: target.chatId } }, { type: 'stop_generation', data: { chat_id: target.chatId, message_id: target.messageId } }],
    ping: (target) => [{ type: 'ping', data: { ts: 1, chat_id: target.chatId } }],
    pong: (target) => [{ type: 'pong', data: { ts: 1, chat_id: target.chatId } }],
  };
  for (const type of CLIENT_FRAME_TYPES) assert.ok(wsFrames[type], `frame type ${type} has no cross-chat probe in this matrix`);

  const sockets: WsTestClient[] = [];
  t.after(() => Promise.all(sockets.map((ws) => ws.close())));
  // Tokens of after the REST probes (a revocation among them applies to tokens issued before it).
  const a2WsToken = await tp.mintToken({ tenantId: a.id, sub: 'a2-attacker' });
  const { ws: attacker } = await connectAndJoin(tp.wsUrl({}, a.id), { token: a2WsToken, create: true });
  sockets.push(attacker);
  for (const target of [a1, b1]) {
    for (const type of CLIENT_FRAME_TYPES) {
      for (const frame of wsFrames[type](target)) {
        attacker.mark();
        attacker.send(frame);
        await attacker.roundTrip();
        const answered = attacker.all(() => true);
        const context = `joined a2 sends ${JSON.stringify(frame)}`;
        if (type !== 'ping' && type !== 'pong') {
          assert.ok(answered.some((f) => f.type === 'error'), `${context}: no error frame (got ${answered.map((f) => f.type).join(', ')})`);
        }
        assert.ok(!answered.some((f) => f.type === 'chat_joined' && f.data.chat_id === target.chatId), `${context}: joined the victim's chat`);
        probes += 1;
      }
    }
  }
  assert.equal(attacker.socket.readyState, attacker.socket.OPEN, 'the attacker connection stays usable (refusals are error frames)');
  assertClean(JSON.stringify(attacker.frames), forbiddenForA2, 'frames received by the joined attacker');

  // First frames aimed at another's chat: refused with a typed error and a 44xx close.
  const joins: Array<[string, string, Record<string, unknown>]> = [
    ['a2 joins a1 chat', tp.wsUrl({}, a.id), { chat_id: a1.chatId, token: a2WsToken }],
    ['a2 joins a1 chat with last_seq 0', tp.wsUrl({}, a.id), { chat_id: a1.chatId, token: a2WsToken, last_seq: 0 }],
    ['a2 creates with a1 session', tp.wsUrl({}, a.id), { create: true, session_id: a1.session, token: a2WsToken }],
    ['A token joins B chat under A', tp.wsUrl({}, a.id), { chat_id: b1.chatId, token: a2WsToken }],
    ['A token joins B chat under B', tp.wsUrl({}, b.id), { chat_id: b1.chatId, token: a2WsToken }],
    ['A token names tenant B in the join', tp.wsUrl({}, a.id), { chat_id: b1.chatId, token: a2WsToken, tenant_id: b.id }],
    ['no token, a1 session', tp.wsUrl({}, a.id), { chat_id: a1.chatId, session_id: a1.session }],
    ['a1 chat id in the URL', tp.wsUrl({ chat_id: a1.chatId }, a.id), { token: a2WsToken }],
  ];
  for (const [name, url, data] of joins) {
    const ws = await connectWs(url, { origin: ALLOWED_TEST_ORIGIN });
    sockets.push(ws);
    ws.send({ type: 'join_chat', data });
    await Promise.race([ws.waitForClose(5_000), ws.waitFor('chat_joined', 5_000).catch(() => ws.waitForClose(5_000))]);
    const joined = ws.frames.find((f) => f.type === 'chat_joined');
    assert.ok(!joined || (joined.data.chat_id !== a1.chatId && joined.data.chat_id !== b1.chatId), `${name}: joined ${joined?.data.chat_id}`);
    if (!joined) {
      const closed = await ws.waitForClose(1_000);
      assert.ok(closed.code >= 4400 && closed.code < 4500, `${name}: closed with ${closed.code} ${closed.reason}`);
      assert.ok(ws.frames.some((f) => f.type === 'error'), `${name}: no error frame before the close`);
    }
    assertClean(JSON.stringify(ws.frames), forbiddenForA2, name);
    probes += 1;
  }

  // The victims' chats hold only their own message (and its answer).
  for (const [target, tenantId] of [[a1, a.id], [b1, b.id]] as const) {
    const history = await api(tp.url, 'GET', `/api/v1/chat/${target.chatId}/messages`, { token: await tp.mintToken({ tenantId, sub: target.sub }), tenantId });
    assert.equal(history.status, 200);
    assert.ok(!history.text.includes('attacker message') && !history.text.includes('probe'), `the attacker wrote into ${target.sub}'s chat: ${history.text.slice(0, 300)}`);
    assert.ok(history.text.includes(target.secret), 'the victim still reads its own chat');
  }
  const bDocAfter = await api(tp.url, 'GET', `/api/v1/admin/documents/${bDocId}`, { token: b.secretKey });
  assert.equal(bDocAfter.status, 200, `tenant B's document after A's probes: ${bDocAfter.text.slice(0, 200)}`);
  t.diagnostic(`${operations.length} operations, ${probes} probes refused or clean`);
});
