/**
 * Every REST route fuzzed (issue #15, adversarial suite). The routes come from the running
 * platform's OpenAPI document, checked against Fastify's route table, so a new route is fuzzed as
 * soon as it exists (and one missing from the document fails here). For each: wrong methods, bad
 * JSON, wrong content types, an oversized body, a huge header, hostile path and query parameters and
 * seeded hostile JSON bodies, with the route's own credentials so the hostile input gets past the
 * authentication. Every answer must be < 500, and every 4xx the guide's typed error body; so must
 * the refusal of a bad WebSocket upgrade.
 * SEED=<n> replays the same inputs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { api, type ApiRequestOptions, type ApiResponse } from '@miptech/testing/api-client.ts';
import { hostileValue } from '@miptech/testing/frame-fuzzer.ts';
import { fastifyRoutes, restOperations, type RestOperation } from '@miptech/testing/rest-route-inventory.ts';
import { seededRandom, testSeed, withSeed, type SeededRandom } from '@miptech/testing/seeded-random.ts';
import { ALLOWED_TEST_ORIGIN } from '@miptech/testing/test-platform.ts';
import { assertTypedErrorBody, startAdversarialPlatform, type AdversarialPlatform } from './adversarial-platform.ts';

const METRICS_TOKEN = 'adversarial-metrics-token-0123456789';
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** Above every body limit of the platform (the admin document upload allows 10 MiB). */
const OVERSIZED_BODY_BYTES = 11 * 1024 * 1024;
const HOSTILE_IDS = [
  'x'.repeat(101), 'x'.repeat(128), 'x'.repeat(129), 'x'.repeat(4000), '..%2F..%2Fetc%2Fpasswd', '%00', '%ZZ', '%F0%9F%94%A5', '%E2%80%AE',
  "'%20OR%201=1--", 'null', '-1', '0', '%20', '__proto__', 'constructor', '%C0%AF', 'a%0D%0AX-Injected:%201',
];
const HOSTILE_QUERY_VALUES = ['-1', 'NaN', '1e309', '0', '99999999999999999999', 'x'.repeat(3000), '', '%00', 'a\u0000b', '[]', '{}', 'true'];
/** Body fields of the platform's routes, each given a NUL character (PostgreSQL cannot store one). */
const STRING_FIELDS = ['content', 'text', 'title', 'channel', 'session_id', 'client_message_id', 'url', 'external_id', 'source_type', 'publishable_key', 'previous_token', 'tenant_id', 'visitor_id', 'sub'];

interface Credentials {
  headers: Record<string, string>;
  token?: string;
}

function credentialsFor(operation: RestOperation, ap: AdversarialPlatform, visitorToken: string): Credentials {
  const headers: Record<string, string> = { origin: ALLOWED_TEST_ORIGIN, 'x-tenant-id': ap.a.id };
  if (operation.security.includes('secretKey')) return { headers, token: ap.a.secretKey };
  if (operation.security.includes('metricsToken')) return { headers, token: METRICS_TOKEN };
  if (operation.security.includes('visitorToken')) return { headers, token: visitorToken };
  // The widget-token route: the publishable key.
  return { headers: { ...headers, 'x-api-key': ap.a.publishableKey } };
}

/** The path with its parameters filled in: real ids of tenant A's own resources unless given. */
function fillPath(operation: RestOperation, ids: Record<string, string>, override?: string): string {
  return operation.path.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => override ?? ids[operation.path.includes('/admin/') ? 'document' : 'chat'] ?? name);
}

function randomBody(random: SeededRandom): unknown {
  if (random.chance(0.3)) return hostileValue(random);
  const body: Record<string, unknown> = {};
  const names = ['session_id', 'text', 'message', 'content', 'title', 'source_type', 'url', 'tenant_id', 'publishable_key', 'previous_token', 'client_message_id', 'channel', 'visitor_id', 'metadata', random.string(8)];
  for (let i = random.int(1, 6); i > 0; i -= 1) body[random.pick(names)] = hostileValue(random);
  return body;
}

test('every REST route answers hostile requests with typed errors, never 500', { timeout: 100_000 }, async (t) => {
  const seed = testSeed();
  t.diagnostic(`SEED=${seed}`);
  const random = seededRandom(seed);
  // The admin API's own limits are tested elsewhere: here they would only hide what is behind them.
  const ap = await startAdversarialPlatform({ env: { METRICS_TOKEN, ADMIN_REQUESTS_PER_MINUTE_PER_KEY: '1000000', ADMIN_REQUESTS_PER_MINUTE_PER_ADDRESS: '1000000' } });
  t.after(() => ap.tp.close());
  const { tp } = ap;
  const visitorToken = await tp.mintToken({ tenantId: ap.a.id, sub: 'rest-fuzz-visitor' });
  const chat = await api(tp.url, 'POST', '/api/v1/chat', { token: visitorToken, tenantId: ap.a.id, body: { session_id: 'rest-fuzz-session' } });
  assert.equal(chat.status, 201, chat.text);
  const document = await api(tp.url, 'POST', '/api/v1/admin/documents', { token: ap.a.secretKey, body: { title: 'Fuzz doc', content: 'Opening hours are nine to five.' } });
  assert.ok(document.status === 201 || document.status === 202, document.text);
  const ids = { chat: chat.body.id as string, document: (document.body.id ?? document.body.document?.id) as string };

  // Routes that revoke or erase go last: their hostile requests may invalidate the credentials the others use.
  const destructive = (o: RestOperation) => o.method === 'DELETE' || /revoke|erase/.test(o.path);
  const operations = (await restOperations(tp.url)).sort((x, y) => Number(destructive(x)) - Number(destructive(y)));
  // Every route Fastify serves is in the document, so none escapes the fuzzing below.
  const documented = new Set(operations.map((o) => `${o.method} ${o.path}`));
  const undocumented = fastifyRoutes(tp.platform.app).filter((r) => !documented.has(`${r.method} ${r.path}`));
  assert.deepEqual(undocumented, [], 'routes served but missing from /api/v1/openapi.json (and so from the fuzzing)');
  assert.ok(operations.length >= 20, `only ${operations.length} operations found`);
  const methodsByPath = new Map<string, Set<string>>();
  for (const o of operations) methodsByPath.set(o.path, new Set([...(methodsByPath.get(o.path) ?? []), o.method]));

  let requests = 0;
  const statuses = new Map<number, number>();
  const send = async (operation: RestOperation, method: string, path: string, options: ApiRequestOptions & { label: string }): Promise<ApiResponse> => {
    const context = `${method} ${path.slice(0, 120)} [${options.label}] (route ${operation.method} ${operation.path})`;
    let res: ApiResponse;
    try {
      res = await api(tp.url, method, path, options);
    } catch (error) {
      throw new Error(`${context}: request failed: ${(error as Error).message}`);
    }
    requests += 1;
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    assertTypedErrorBody(res, context, method);
    return res;
  };

  await withSeed(seed, async () => {
    for (const operation of operations) {
      const { headers, token } = credentialsFor(operation, ap, visitorToken);
      const base = { headers, token };
      const path = fillPath(operation, ids);
      const hasBody = operation.bodyTypes.length > 0;

      // Wrong methods: 405 method_not_allowed with an Allow header.
      for (const method of METHODS.filter((m) => !methodsByPath.get(operation.path)!.has(m))) {
        const res = await send(operation, method, path, { ...base, body: method === 'GET' || method === 'HEAD' ? undefined : {}, label: 'wrong method' });
        if (method !== 'HEAD') assert.equal(res.body?.code, 'method_not_allowed', `${method} ${path}: ${res.text}`);
      }
      // A huge header (Node refuses headers over 16 KB before any route runs).
      await send(operation, operation.method, path, { ...base, headers: { ...headers, 'x-fuzz': 'a'.repeat(20_000) }, label: 'huge header' });
      // Hostile path parameters.
      if (operation.pathParams.length > 0) {
        for (const id of HOSTILE_IDS) await send(operation, operation.method, fillPath(operation, ids, id), { ...base, body: hasBody ? { content: 'x', text: 'x' } : undefined, label: `path ${id.slice(0, 20)}` });
      }
      // Hostile query parameters, one at a time and repeated.
      for (const name of operation.queryParams) {
        for (const value of HOSTILE_QUERY_VALUES) await send(operation, operation.method, `${path}?${name}=${encodeURIComponent(value)}`, { ...base, label: `query ${name}` });
        await send(operation, operation.method, `${path}?${name}=1&${name}=2`, { ...base, label: `query ${name} twice` });
      }
      if (!hasBody) continue;
      // Bad JSON.
      for (const raw of ['{"a":', '{]', 'nul', '"unterminated', '{"a":1}}', '\u0000', '{"__proto__":{"x":1}}', `${'['.repeat(5000)}`]) {
        const res = await send(operation, operation.method, path, { ...base, rawBody: raw, label: `bad JSON ${JSON.stringify(raw.slice(0, 12))}` });
        assert.ok(res.status >= 400, `${operation.method} ${path} accepted ${JSON.stringify(raw.slice(0, 20))}`);
      }
      // Wrong content types.
      for (const contentType of ['text/plain', 'application/xml', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'application/json-patch+json; charset=utf-7', 'image/png']) {
        const res = await send(operation, operation.method, path, { ...base, rawBody: 'a=1', contentType, label: `content type ${contentType}` });
        assert.ok(res.status >= 400, `${operation.method} ${path} accepted ${contentType}`);
      }
      // An oversized body.
      const big = await send(operation, operation.method, path, { ...base, rawBody: JSON.stringify({ content: 'x'.repeat(OVERSIZED_BODY_BYTES) }), label: 'oversized body' });
      assert.equal(big.body?.code, 'payload_too_large', `${operation.method} ${path}: oversized body answered ${big.status} ${big.text.slice(0, 200)}`);
      // A NUL character in each string field, alone beside a valid minimum (content or text).
      for (const field of STRING_FIELDS) {
        await send(operation, operation.method, path, { ...base, body: { content: 'question', text: 'question', [field]: `a\u0000b` }, label: `NUL in ${field}` });
      }
      // Seeded hostile JSON bodies.
      for (let i = 0; i < 25; i += 1) await send(operation, operation.method, path, { ...base, rawBody: JSON.stringify(randomBody(random)) ?? 'null', label: `hostile body ${i}` });
    }
  });
  t.diagnostic(`operations: ${operations.length}, requests: ${requests}, statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort((x, y) => x[0] - y[0])))}`);
  assert.ok(requests > 500, `only ${requests} requests`);
  const ready = await fetch(`${tp.url}/readyz`);
  assert.equal(ready.status, 200);
});

/** Sends a raw HTTP request with upgrade headers; resolves with the status and body of a refusal, or 101. */
function rawUpgrade(port: number, method: string, path: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port, method, path, headers: { Connection: 'Upgrade', ...headers }, timeout: 5_000 });
    request.on('upgrade', (response, socket) => {
      socket.destroy();
      resolve({ status: response.statusCode ?? 101, text: '' });
    });
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
    });
    request.on('timeout', () => request.destroy(new Error('no answer within 5 s')));
    request.on('error', reject);
    request.end();
  });
}

test('bad WebSocket upgrades get a typed error body, never a bare refusal', { timeout: 30_000 }, async (t) => {
  const seed = testSeed();
  t.diagnostic(`SEED=${seed}`);
  const random = seededRandom(seed);
  const ap = await startAdversarialPlatform();
  t.after(() => ap.tp.close());
  const path = `/api/v1/ws/chat?tenant_id=${ap.a.id}`;
  const good = { Upgrade: 'websocket', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version': '13' };
  const cases: Array<[string, string, string, Record<string, string>]> = [
    ['POST upgrade', 'POST', path, good],
    ['unknown path', 'GET', '/api/v1/ws/nope', good],
    ['upgrade to h2c', 'GET', path, { ...good, Upgrade: 'h2c' }],
    ['no key', 'GET', path, { Upgrade: 'websocket', 'Sec-WebSocket-Version': '13' }],
    ['short key', 'GET', path, { ...good, 'Sec-WebSocket-Key': 'abc' }],
    ['version 7', 'GET', path, { ...good, 'Sec-WebSocket-Version': '7' }],
    ['no version', 'GET', path, { Upgrade: 'websocket', 'Sec-WebSocket-Key': good['Sec-WebSocket-Key'] }],
    ['path with a 5,000 character query', 'GET', `${path}&x=${'a'.repeat(5_000)}`, { ...good, Upgrade: 'web socket' }],
  ];
  for (let i = 0; i < 12; i += 1) {
    cases.push([`random key ${i}`, 'GET', path, { ...good, 'Sec-WebSocket-Key': random.string(random.int(0, 40), 'abcXYZ019+/=!~ ') }]);
  }
  await withSeed(seed, async () => {
    for (const [name, method, target, headers] of cases) {
      const res = await rawUpgrade(ap.tp.port, method, target, headers);
      if (res.status === 101) continue; // a random key that happens to be well formed
      let body: unknown = null;
      try {
        body = JSON.parse(res.text);
      } catch {
        body = null;
      }
      assertTypedErrorBody({ status: res.status, headers: new Headers(), body, text: res.text }, `upgrade: ${name}`, method);
    }
  });
});
