/**
 * Guide §3 and §8 "REST API Error Codes": one test per row, idempotent chat creation, reads,
 * health/readiness, malformed input (never a 500), CORS on every response.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Store } from '../../src/store/store.ts';
import { api } from '@miptech/testing/api-client.ts';
import { connectAndJoin, connectWs } from '@miptech/testing/ws-test-client.ts';
import { ALLOWED_TEST_ORIGIN, startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';

let tp: TestPlatform;

before(async () => {
  tp = await startTestPlatform();
});
after(() => tp.close());

function assertErrorBody(body: any, code: string): void {
  assert.equal(body?.code, code, JSON.stringify(body));
  assert.equal(typeof body.message, 'string');
  assert.equal(typeof body.request_id, 'string');
  assert.ok(body.request_id.length > 0);
}

describe('chat creation (guide §3)', () => {
  test('201 with a new chat, 200 with the same chat for the same session_id; id and chat_id', async () => {
    const token = await tp.mintToken({ sub: 'idem' });
    const body = { title: 'Website Chat Session', tenant_id: tp.tenantId, session_id: crypto.randomUUID() };
    const first = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: tp.tenantId, body });
    assert.equal(first.status, 201);
    assert.equal(first.body.id, first.body.chat_id);
    assert.equal(first.body.title, 'Website Chat Session');
    assert.equal(first.body.session_id, body.session_id);
    assert.equal(first.body.tenant_id, tp.tenantId);
    const second = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: tp.tenantId, body });
    assert.equal(second.status, 200);
    assert.equal(second.body.id, first.body.id);
  });

  test('concurrent creations with one session_id yield one chat', async () => {
    const token = await tp.mintToken({ sub: 'racer' });
    const body = { session_id: crypto.randomUUID() };
    const results = await Promise.all(
      Array.from({ length: 8 }, () => api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: tp.tenantId, body })),
    );
    assert.equal(new Set(results.map((r) => r.body.id)).size, 1);
    assert.equal(results.filter((r) => r.status === 201).length, 1);
    assert.ok(results.every((r) => r.status === 201 || r.status === 200));
  });

  test('a session_id bound to another visitor gets 409 session_conflict, never their chat', async () => {
    const body = { session_id: crypto.randomUUID() };
    const owner = await api(tp.url, 'POST', '/api/v1/chat', { token: await tp.mintToken({ sub: 'a' }), tenantId: tp.tenantId, body });
    assert.equal(owner.status, 201);
    const other = await api(tp.url, 'POST', '/api/v1/chat', { token: await tp.mintToken({ sub: 'b' }), tenantId: tp.tenantId, body });
    assert.equal(other.status, 409);
    assertErrorBody(other.body, 'session_conflict');
    assert.ok(!other.text.includes(owner.body.id));
  });

  test('trailing slash, X-Tenant / Tenant-ID headers, X-API-Key and the guide-era body are accepted', async () => {
    const token = await tp.mintToken({ sub: 'guide-era' });
    const res = await api(tp.url, 'POST', '/api/v1/chat/', {
      token,
      headers: { 'x-tenant': tp.tenantId, 'tenant-id': tp.tenantId, 'x-api-key': 'pk_whatever' },
      body: { session_id: crypto.randomUUID(), visitor_id: 'v1', title: 'Chat', context: { page: '/pricing' }, tenant_id: tp.tenantId },
    });
    assert.equal(res.status, 201, res.text);
    assert.ok(res.body.chat_id ?? res.body.id);
  });

  test('tenant from the body or query when no header is sent', async () => {
    const token = await tp.mintToken();
    const fromBody = await api(tp.url, 'POST', '/api/v1/chat', { token, body: { tenant_id: tp.tenantId } });
    assert.equal(fromBody.status, 201);
    const fromQuery = await api(tp.url, 'POST', `/api/v1/chat?tenant_id=${tp.tenantId}`, { token, body: {} });
    assert.equal(fromQuery.status, 201);
  });
});

describe('REST error codes (guide §8)', () => {
  test('401 auth_required without a token', async () => {
    const res = await api(tp.url, 'POST', '/api/v1/chat', { tenantId: tp.tenantId, body: {} });
    assert.equal(res.status, 401);
    assertErrorBody(res.body, 'auth_required');
  });

  test('401 invalid_token for a bad signature, a garbage token and a non-Bearer scheme', async () => {
    for (const headers of [
      { authorization: `Bearer ${await tp.mintToken({ secret: 'y'.repeat(40) })}` },
      { authorization: 'Bearer not.a.jwt' },
      { authorization: 'Basic dXNlcjpwYXNz' },
    ]) {
      const res = await api(tp.url, 'POST', '/api/v1/chat', { tenantId: tp.tenantId, headers, body: {} });
      assert.equal(res.status, 401);
      assertErrorBody(res.body, 'invalid_token');
    }
  });

  test('401 token_expired for an expired token; a millisecond exp is invalid', async () => {
    const expired = await api(tp.url, 'POST', '/api/v1/chat', { token: await tp.mintToken({ ttlSeconds: -10 }), tenantId: tp.tenantId, body: {} });
    assert.equal(expired.status, 401);
    assertErrorBody(expired.body, 'token_expired');
    // The guide's sample writes exp in milliseconds (Date.now() + 3600000): refuse it.
    const milliseconds = await api(tp.url, 'POST', '/api/v1/chat', {
      token: await tp.mintToken({ ttlSeconds: Date.now() }),
      tenantId: tp.tenantId,
      body: {},
    });
    assert.equal(milliseconds.status, 401);
    assertErrorBody(milliseconds.body, 'invalid_token');
  });

  test('403 tenant_mismatch for a token of another tenant', async () => {
    const other = await tp.createTenant(`rest-other-${Date.now()}`);
    const res = await api(tp.url, 'POST', '/api/v1/chat', { token: await tp.mintToken({ tenantId: other.tenant.id }), tenantId: tp.tenantId, body: {} });
    assert.equal(res.status, 403);
    assertErrorBody(res.body, 'tenant_mismatch');
  });

  test('403 insufficient_scope for a token without chat:create (scope as a space-separated string too)', async () => {
    for (const scopes of [['chat:send'], 'chat:send other:scope']) {
      const res = await api(tp.url, 'POST', '/api/v1/chat', { token: await tp.mintToken({ scopes }), tenantId: tp.tenantId, body: {} });
      assert.equal(res.status, 403);
      assertErrorBody(res.body, 'insufficient_scope');
    }
    const ok = await api(tp.url, 'POST', '/api/v1/chat', { token: await tp.mintToken({ scopes: 'chat:create chat:send' }), tenantId: tp.tenantId, body: {} });
    assert.equal(ok.status, 201);
  });

  test('422 validation_error with a detail list for wrong types', async () => {
    const res = await api(tp.url, 'POST', '/api/v1/chat', {
      token: await tp.mintToken(),
      tenantId: tp.tenantId,
      body: { session_id: 123, title: ['x'], context: 'nope' },
    });
    assert.equal(res.status, 422);
    assertErrorBody(res.body, 'validation_error');
    const locs = res.body.detail.map((d: { loc: string[] }) => d.loc.join('.'));
    assert.deepEqual(locs.sort(), ['body.context', 'body.session_id', 'body.title']);
    for (const detail of res.body.detail) assert.equal(typeof detail.msg, 'string');
  });

  test('429 rate_limited with Retry-After when a tenant’s request limit is exceeded', async () => {
    const limited = await tp.createTenant(`limited-${Date.now()}`, { rateLimits: { requestsPerMinute: 2, messagesPerMinute: 30, chatsPerHour: 60 } });
    const token = await tp.mintToken({ tenantId: limited.tenant.id });
    const statuses = [];
    let last;
    for (let i = 0; i < 4; i += 1) {
      last = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: limited.tenant.id, body: {} });
      statuses.push(last.status);
    }
    assert.deepEqual(statuses, [201, 201, 429, 429]);
    assertErrorBody(last!.body, 'rate_limited');
    assert.ok(Number(last!.headers.get('retry-after')) >= 1);
    assert.ok(last!.body.retry_after >= 1);
  });

  test('503 db_not_ready / schema_unavailable with Retry-After from /readyz while the database is not usable', async () => {
    let health: Awaited<ReturnType<Store['health']>> = { ready: false, code: 'schema_unavailable' };
    const own = await startTestPlatform();
    const store = own.platform.services.store;
    const realHealth = store.health.bind(store);
    // Simulate a database that is up but not migrated, then one that is down.
    (store as { health: Store['health'] }).health = async () => health;
    try {
      for (const code of ['schema_unavailable', 'db_not_ready'] as const) {
        health = { ready: false, code };
        const res = await api(own.url, 'GET', '/readyz');
        assert.equal(res.status, 503);
        assertErrorBody(res.body, code);
        assert.ok(Number(res.headers.get('retry-after')) >= 1);
        const head = await fetch(`${own.url}/readyz`, { method: 'HEAD' });
        assert.equal(head.status, 503);
      }
      (store as { health: Store['health'] }).health = realHealth;
      assert.equal((await api(own.url, 'GET', '/readyz')).status, 200);
    } finally {
      await own.close();
    }
  });

  test('the chats-per-hour limit counts created chats only: resuming a session (page reloads, REST or WebSocket) is never refused', async () => {
    const limited = await tp.createTenant(`chat-limit-${Date.now()}`, { rateLimits: { requestsPerMinute: 100, messagesPerMinute: 30, chatsPerHour: 2 } });
    const tenantId = limited.tenant.id;
    const token = await tp.mintToken({ tenantId, sub: 'reloading-visitor' });
    const session = crypto.randomUUID();
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId, body: { session_id: session } })).status);
    assert.deepEqual(statuses, [201, 200, 200, 200]);
    for (let i = 0; i < 2; i += 1) {
      const { ws, joined } = await connectAndJoin(tp.wsUrl({ session_id: session }, tenantId), { token, create: true });
      assert.equal(joined.data.chat_id, (await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId, body: { session_id: session } })).body.id);
      await ws.close();
    }
    assert.equal((await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId, body: { session_id: crypto.randomUUID() } })).status, 201);
    const third = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId, body: { session_id: crypto.randomUUID() } });
    assert.equal(third.status, 429);
    assertErrorBody(third.body, 'rate_limited');
    const overWs = await connectWs(tp.wsUrl({ session_id: crypto.randomUUID() }, tenantId));
    overWs.send({ type: 'join_chat', data: { token, create: true } });
    assert.equal((await overWs.waitFor('error')).data.code, 'rate_limited');
    assert.equal((await overWs.waitForClose()).code, 1013);
    // Resuming still works after the limit is reached.
    assert.equal((await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId, body: { session_id: session } })).status, 200);
    const other = await api(tp.url, 'POST', '/api/v1/chat', { token: await tp.mintToken({ tenantId, sub: 'someone-else' }), tenantId, body: { session_id: session } });
    assert.equal(other.status, 409, 'another visitor’s session is still a conflict');
  });

  test('400 tenant_required without any tenant, 400 tenant_not_found for an unknown one', async () => {
    const token = await tp.mintToken();
    const missing = await api(tp.url, 'POST', '/api/v1/chat', { token, body: {} });
    assert.equal(missing.status, 400);
    assertErrorBody(missing.body, 'tenant_required');
    const unknown = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: 'nobody-here', body: {} });
    assert.equal(unknown.status, 400);
    assertErrorBody(unknown.body, 'tenant_not_found');
  });

  test('404 chat_not_found for a chat that does not exist', async () => {
    const res = await api(tp.url, 'GET', '/api/v1/chat/chat_00000000000000000000000000', { token: await tp.mintToken(), tenantId: tp.tenantId });
    assert.equal(res.status, 404);
    assertErrorBody(res.body, 'chat_not_found');
  });
});

describe('malformed requests are 4xx with a code, never 500', () => {
  test('malformed JSON → 400 invalid_json', async () => {
    const res = await api(tp.url, 'POST', '/api/v1/chat', { token: await tp.mintToken(), tenantId: tp.tenantId, rawBody: '{"session_id": ' });
    assert.equal(res.status, 400);
    assertErrorBody(res.body, 'invalid_json');
  });

  test('a JSON array or string body → 422', async () => {
    for (const rawBody of ['[1,2]', '"text"']) {
      const res = await api(tp.url, 'POST', '/api/v1/chat', { token: await tp.mintToken(), tenantId: tp.tenantId, rawBody });
      assert.equal(res.status, 422, rawBody);
      assertErrorBody(res.body, 'validation_error');
    }
  });

  test('oversized body → 413 payload_too_large', async () => {
    const res = await api(tp.url, 'POST', '/api/v1/chat', {
      token: await tp.mintToken(),
      tenantId: tp.tenantId,
      body: { title: 'x', context: { blob: 'x'.repeat(200_000) } },
    });
    assert.equal(res.status, 413);
    assertErrorBody(res.body, 'payload_too_large');
  });

  test('context nested thousands of levels deep (under the size limit) → 422 with a detail, not a 500', async () => {
    const depth = 5000;
    const rawBody = `{"title":"deep","context":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
    assert.ok(rawBody.length < tp.config.bodyLimitBytes);
    const res = await api(tp.url, 'POST', '/api/v1/chat', { token: await tp.mintToken(), tenantId: tp.tenantId, rawBody });
    assert.equal(res.status, 422);
    assertErrorBody(res.body, 'validation_error');
    assert.deepEqual(res.body.detail.map((d: { loc: string[] }) => d.loc.join('.')), ['body.context']);
    const shallow = await api(tp.url, 'POST', '/api/v1/chat', { token: await tp.mintToken(), tenantId: tp.tenantId, body: { context: { page: { path: '/pricing', tags: ['a'] } } } });
    assert.equal(shallow.status, 201);
  });

  test('unsupported content type → 415; JSON sent as text/plain is accepted', async () => {
    const form = await api(tp.url, 'POST', '/api/v1/chat', { token: await tp.mintToken(), tenantId: tp.tenantId, rawBody: 'a=b', contentType: 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 415);
    assertErrorBody(form.body, 'unsupported_media_type');
    const text = await api(tp.url, 'POST', '/api/v1/chat', { token: await tp.mintToken(), tenantId: tp.tenantId, rawBody: '{}', contentType: 'text/plain' });
    assert.equal(text.status, 201);
  });

  test('unknown route → 404 not_found; bad query values → 422', async () => {
    const unknown = await api(tp.url, 'GET', '/api/v1/nothing-here');
    assert.equal(unknown.status, 404);
    assertErrorBody(unknown.body, 'not_found');
    const token = await tp.mintToken();
    const chat = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: tp.tenantId, body: {} });
    const badLimit = await api(tp.url, 'GET', `/api/v1/chat/${chat.body.id}/messages?limit=abc`, { token, tenantId: tp.tenantId });
    assert.equal(badLimit.status, 422);
    assertErrorBody(badLimit.body, 'validation_error');
  });

  test('a known path with a method it does not answer → 405 method_not_allowed with Allow (and CORS)', async () => {
    const health = await api(tp.url, 'DELETE', '/healthz', { origin: ALLOWED_TEST_ORIGIN });
    assert.equal(health.status, 405);
    assertErrorBody(health.body, 'method_not_allowed');
    assert.deepEqual(health.headers.get('allow')?.split(', ').sort(), ['GET', 'HEAD', 'OPTIONS']);
    assert.equal(health.headers.get('access-control-allow-origin'), ALLOWED_TEST_ORIGIN);
    const chatPath = await api(tp.url, 'PUT', '/api/v1/chat/chat_00000000000000000000000000/messages/');
    assert.equal(chatPath.status, 405);
    assert.deepEqual(chatPath.headers.get('allow')?.split(', ').sort(), ['GET', 'HEAD', 'OPTIONS', 'POST']);
    assert.equal((await api(tp.url, 'DELETE', '/api/v1/nothing-here')).status, 404);
  });

  test('/favicon.ico → an empty 204, not a 404', async () => {
    const res = await api(tp.url, 'GET', '/favicon.ico');
    assert.equal(res.status, 204);
    assert.equal(res.text, '');
  });

  test('the request id is echoed (X-Request-ID in and out)', async () => {
    const res = await api(tp.url, 'GET', '/api/v1/nothing-here', { headers: { 'x-request-id': 'trace-123' } });
    assert.equal(res.headers.get('x-request-id'), 'trace-123');
    assert.equal(res.body.request_id, 'trace-123');
  });
});

describe('reads', () => {
  test('GET /api/v1/chat/:id returns the chat to its owner only', async () => {
    const token = await tp.mintToken({ sub: 'reader' });
    const chat = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: tp.tenantId, body: {} });
    const own = await api(tp.url, 'GET', `/api/v1/chat/${chat.body.id}`, { token, tenantId: tp.tenantId });
    assert.equal(own.status, 200);
    assert.equal(own.body.id, chat.body.id);
    const other = await api(tp.url, 'GET', `/api/v1/chat/${chat.body.id}`, { token: await tp.mintToken({ sub: 'someone-else' }), tenantId: tp.tenantId });
    assert.equal(other.status, 404);
    assertErrorBody(other.body, 'chat_not_found');
  });

  test('GET /api/v1/chat/config returns the tenant’s widget configuration without a token', async () => {
    const res = await api(tp.url, 'GET', '/api/v1/chat/config', { tenantId: tp.tenantId });
    assert.equal(res.status, 200);
    assert.equal(res.body.tenant_id, tp.tenantId);
    assert.equal(typeof res.body.assistant_name, 'string');
    assert.equal(typeof res.body.greeting, 'string');
    assert.equal(res.body.anonymous_widget, true);
  });
});

describe('anonymous widget policy over REST', () => {
  test('from an allowed Origin without a token: create with session_id, read back with X-Session-ID only', async () => {
    const sessionId = crypto.randomUUID();
    const created = await api(tp.url, 'POST', '/api/v1/chat', { tenantId: tp.tenantId, origin: ALLOWED_TEST_ORIGIN, body: { session_id: sessionId } });
    assert.equal(created.status, 201, created.text);
    assert.match(created.body.visitor_id, /^anon_/);
    const own = await api(tp.url, 'GET', `/api/v1/chat/${created.body.id}`, { tenantId: tp.tenantId, origin: ALLOWED_TEST_ORIGIN, headers: { 'x-session-id': sessionId } });
    assert.equal(own.status, 200);
    const stranger = await api(tp.url, 'GET', `/api/v1/chat/${created.body.id}`, { tenantId: tp.tenantId, origin: ALLOWED_TEST_ORIGIN, headers: { 'x-session-id': 'another-session' } });
    assert.equal(stranger.status, 404);
    const foreignOrigin = await api(tp.url, 'POST', '/api/v1/chat', { tenantId: tp.tenantId, origin: 'https://evil.example', body: { session_id: sessionId } });
    assert.equal(foreignOrigin.status, 401);
  });
});

describe('health and readiness', () => {
  test('/healthz, /health and /api/v1/health → {status: "healthy", version}', async () => {
    for (const path of ['/healthz', '/health', '/api/v1/health']) {
      const res = await api(tp.url, 'GET', path);
      assert.equal(res.status, 200);
      assert.equal(res.body.status, 'healthy');
      assert.equal(typeof res.body.version, 'string');
    }
  });

  test('GET and HEAD /readyz → 200 when the database is ready', async () => {
    const get = await api(tp.url, 'GET', '/readyz');
    assert.equal(get.status, 200);
    assert.equal(get.body.status, 'ready');
    const head = await fetch(`${tp.url}/readyz`, { method: 'HEAD' });
    assert.equal(head.status, 200);
  });
});

describe('CORS', () => {
  test('errors and 404s carry CORS headers for an allowed origin', async () => {
    const unauthorized = await api(tp.url, 'POST', '/api/v1/chat', { token: 'broken', tenantId: tp.tenantId, origin: ALLOWED_TEST_ORIGIN, body: {} });
    assert.equal(unauthorized.status, 401);
    assert.equal(unauthorized.headers.get('access-control-allow-origin'), ALLOWED_TEST_ORIGIN);
    const notFound = await api(tp.url, 'GET', '/api/v1/missing', { origin: ALLOWED_TEST_ORIGIN });
    assert.equal(notFound.status, 404);
    assert.equal(notFound.headers.get('access-control-allow-origin'), ALLOWED_TEST_ORIGIN);
    const badJson = await api(tp.url, 'POST', '/api/v1/chat', { tenantId: tp.tenantId, origin: ALLOWED_TEST_ORIGIN, rawBody: '{' });
    assert.equal(badJson.status, 400);
    assert.equal(badJson.headers.get('access-control-allow-origin'), ALLOWED_TEST_ORIGIN);
  });

  test('an origin the tenant does not allow gets no CORS headers', async () => {
    const res = await api(tp.url, 'GET', '/api/v1/chat/config', { tenantId: tp.tenantId, origin: 'https://evil.example' });
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });

  test('an origin allowed only by another tenant is not reflected for this tenant', async () => {
    await tp.createTenant(`cors-${Date.now()}`, { allowedOrigins: ['https://only-other.example'] });
    const res = await api(tp.url, 'GET', '/api/v1/chat/config', { tenantId: tp.tenantId, origin: 'https://only-other.example' });
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });

  test('preflight allows the headers real clients send', async () => {
    const res = await fetch(`${tp.url}/api/v1/chat/`, {
      method: 'OPTIONS',
      headers: {
        origin: ALLOWED_TEST_ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,authorization,x-tenant-id,x-tenant,tenant-id,x-api-key',
      },
    });
    assert.equal(res.status, 204);
    assert.equal(res.headers.get('access-control-allow-origin'), ALLOWED_TEST_ORIGIN);
    const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase();
    for (const header of ['content-type', 'authorization', 'x-tenant-id', 'x-tenant', 'tenant-id', 'x-api-key', 'x-request-id']) {
      assert.ok(allowed.includes(header), `${header} allowed`);
    }
    assert.ok((res.headers.get('access-control-allow-methods') ?? '').includes('POST'));
  });

  test('the admin API (sk_ keys) never gets CORS approval, even from an allowed origin', async () => {
    const { tenant, secretKey } = await tp.createTenant(`admin-cors-${Date.now()}`);
    const headers = { authorization: `Bearer ${secretKey}` };
    const list = await api(tp.url, 'GET', '/api/v1/admin/documents', { origin: ALLOWED_TEST_ORIGIN, headers, tenantId: tenant.id });
    assert.equal(list.status, 200);
    assert.equal(list.headers.get('access-control-allow-origin'), null);
    assert.equal(list.headers.get('access-control-allow-credentials'), null);
    const refused = await api(tp.url, 'GET', '/api/v1/admin/documents', { origin: ALLOWED_TEST_ORIGIN });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('access-control-allow-origin'), null);
    for (const path of ['/api/v1/admin/documents', '/api/v1/admin/search?q=x']) {
      const preflight = await fetch(`${tp.url}${path}`, {
        method: 'OPTIONS',
        headers: { origin: ALLOWED_TEST_ORIGIN, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' },
      });
      assert.equal(preflight.headers.get('access-control-allow-origin'), null, path);
      assert.equal(preflight.headers.get('access-control-allow-headers'), null, path);
      assert.equal(preflight.headers.get('access-control-allow-methods'), null, path);
    }
  });

  test('preflight from an origin no tenant allows is not approved', async () => {
    const res = await fetch(`${tp.url}/api/v1/chat`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    assert.equal(res.headers.get('access-control-allow-origin'), null);
    assert.equal(res.headers.get('access-control-allow-headers'), null);
  });
});
