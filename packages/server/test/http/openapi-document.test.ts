/**
 * The OpenAPI document (/api/v1/openapi.json) is generated from the routes' own schemas: every
 * registered route is in it, the guide's own request examples validate against it, the server
 * answers them as it says, and a request that fails a schema gets the guide's error body.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Ajv } from 'ajv';
import Fastify from 'fastify';
import { registerCors } from '../../src/http/cors.ts';
import { registerErrorHandling } from '../../src/http/error-handler.ts';
import { registerRoutes } from '../../src/http/route-registry.ts';
import { api } from '@miptech/testing/api-client.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { GUIDE_REST_EXAMPLES } from './fixtures/guide-rest-examples.ts';

type Schema = Record<string, unknown>;
interface Operation {
  parameters?: Array<{ in: string; name: string; required?: boolean; schema: Schema }>;
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
  security?: Array<Record<string, string[]>>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

const METRICS_TOKEN = 'metrics-token-for-the-openapi-test';
let tp: TestPlatform;
let document: Document;

/** Fastify's `/a/:id` as OpenAPI's `/a/{id}`. */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
/** OpenAPI's `/a/{id}` as Fastify's `/a/:id`. */
const fastifyPath = (path: string) => path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');

/** A validator for one schema of the document, its `#/components/schemas/…` references resolved in the document. */
function validatorFor(schema: Schema) {
  const ajv = new Ajv({ strict: false, allowUnionTypes: true, allErrors: true });
  return ajv.compile({ ...schema, components: document.components });
}

before(async () => {
  tp = await startTestPlatform({ env: { METRICS_TOKEN } });
  const res = await api(tp.url, 'GET', '/api/v1/openapi.json');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  document = res.body;
});
after(() => tp.close());

describe('the OpenAPI document', () => {
  test('is OpenAPI 3.1 with the shared schemas, and every error answer has the error body', () => {
    assert.match(document.openapi, /^3\.1\./);
    for (const name of ['ErrorBody', 'Chat', 'Message', 'Document']) assert.ok(document.components.schemas[name], name);
    let errorResponses = 0;
    for (const [path, item] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        for (const [status, response] of Object.entries(operation.responses)) {
          if (!/^[45]/.test(status)) continue;
          errorResponses += 1;
          assert.equal(response.content?.['application/json']?.schema.$ref, '#/components/schemas/ErrorBody', `${method} ${path} ${status}`);
        }
      }
    }
    assert.ok(errorResponses > 20);
  });

  test('lists every route Fastify registers (onRoute), and nothing the server does not answer', async () => {
    // The same registration as the platform's, on a fresh instance that sees every route added.
    const app = Fastify();
    const registered: Array<{ method: string; url: string; hidden: boolean }> = [];
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) registered.push({ method, url: route.url, hidden: route.schema?.hide === true });
    });
    registerErrorHandling(app);
    registerCors(app, tp.platform.services);
    await registerRoutes(app, tp.platform.services);
    await app.ready();
    const own = app.swagger() as unknown as Document;
    const visible = registered.filter((route) => !route.hidden);
    // Only the CORS preflight catch-all (OPTIONS *) is left out on purpose.
    assert.deepEqual(
      registered.filter((route) => route.hidden).map((route) => `${route.method} ${route.url}`),
      ['OPTIONS *'],
    );
    assert.ok(visible.length >= 30, `${visible.length} routes`);
    for (const route of visible) {
      const key = `${route.method} ${route.url}`;
      assert.ok(own.paths[openApiPath(route.url)]?.[route.method.toLowerCase()], `${key} in the document of its instance`);
      assert.ok(document.paths[openApiPath(route.url)]?.[route.method.toLowerCase()], `${key} in the served document`);
    }
    for (const path of ['/metrics', '/api/v1/openapi.json', '/docs/api', '/readyz', '/api/v1/chat/{id}/messages']) assert.ok(document.paths[path], path);
    // The other way round: every operation of the served document is a route of the platform.
    for (const [path, item] of Object.entries(document.paths)) {
      for (const method of Object.keys(item)) {
        assert.ok(tp.platform.app.hasRoute({ method: method.toUpperCase() as 'GET', url: fastifyPath(path) }), `${method} ${path} is served`);
      }
    }
    await app.close();
  });

  test('without METRICS_TOKEN there is no /metrics route, and the document does not list one', async () => {
    const other = await startTestPlatform();
    try {
      const served = (await api(other.url, 'GET', '/api/v1/openapi.json')).body as Document;
      assert.equal(served.paths['/metrics'], undefined);
      assert.ok(served.paths['/api/v1/chat']);
    } finally {
      await other.close();
    }
  });
});

describe('the guide’s REST examples (client integration guide v3.2)', () => {
  for (const example of GUIDE_REST_EXAMPLES) {
    test(`${example.section}: ${example.method} ${example.path} validates against the document and is answered as it says`, async () => {
      const token = await tp.mintToken();
      const session = crypto.randomUUID();
      const fill = (value: string) => value.replaceAll('$TENANT', tp.tenantId).replaceAll('$SESSION', session).replaceAll('$TOKEN', token);
      const headers = Object.fromEntries(Object.entries(example.headers).map(([name, value]) => [name, fill(value)]));
      const body: Record<string, unknown> | undefined = example.body ? JSON.parse(fill(JSON.stringify(example.body))) : undefined;

      const operation = document.paths[example.path]?.[example.method.toLowerCase()];
      assert.ok(operation, 'the operation is in the document');
      if (body !== undefined) {
        const schema = operation.requestBody?.content['application/json']?.schema;
        assert.ok(schema, 'the operation documents a JSON body');
        const validate = validatorFor(schema);
        assert.ok(validate(body), JSON.stringify(validate.errors));
        // A wrong type in the same body is refused by the same schema (the check can fail).
        assert.equal(validate({ ...body, session_id: 123 }), false);
      }
      for (const [name, value] of Object.entries(headers)) {
        const lower = name.toLowerCase();
        if (lower === 'content-type') continue;
        if (lower === 'authorization') {
          assert.ok(operation.security?.some((entry) => 'visitorToken' in entry), 'the bearer token is documented as the security scheme');
          continue;
        }
        const parameter = operation.parameters?.find((p) => p.in === 'header' && p.name === lower);
        assert.ok(parameter, `header ${name} is documented`);
        const validate = validatorFor(parameter.schema);
        assert.ok(validate(value), JSON.stringify(validate.errors));
      }

      const response = await fetch(`${tp.url}${example.path}`, {
        method: example.method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      assert.ok(example.expect.includes(response.status), `status ${response.status}`);
      const documented = operation.responses[String(response.status)];
      assert.ok(documented, `status ${response.status} is documented`);
      if (example.method !== 'HEAD') {
        const answer = await response.json();
        const validate = validatorFor(documented.content!['application/json']!.schema);
        assert.ok(validate(answer), `the answer matches the documented schema: ${JSON.stringify(validate.errors)}`);
      }
    });
  }
});

describe('real answers match the document', () => {
  test('every JSON operation, called for real, answers what its documented schema says', async () => {
    const { tenant, secretKey } = await tp.createTenant(`openapi-${Date.now()}`);
    const token = await tp.mintToken({ tenantId: tenant.id });
    const visitor = { token, tenantId: tenant.id };
    const admin = { headers: { authorization: `Bearer ${secretKey}` } };
    const covered = new Set<string>();
    async function check(method: string, path: string, route: string, options: Parameters<typeof api>[3]) {
      const res = await api(tp.url, method, path, options);
      const response = document.paths[route]?.[method.toLowerCase()]?.responses[String(res.status)];
      assert.ok(response, `${method} ${route} ${res.status} is documented (${res.text})`);
      const schema = response.content?.['application/json']?.schema;
      if (schema && res.body !== null) {
        const validate = validatorFor(schema);
        assert.ok(validate(res.body), `${method} ${route} ${res.status}: ${JSON.stringify(validate.errors)} in ${res.text.slice(0, 300)}`);
      }
      covered.add(`${method} ${route}`);
      return res;
    }
    const chat = await check('POST', '/api/v1/chat', '/api/v1/chat', { ...visitor, body: { session_id: crypto.randomUUID(), context: { page: '/x' } } });
    const chatId: string = chat.body.id;
    await check('GET', '/api/v1/chat/config', '/api/v1/chat/config', { tenantId: tenant.id });
    await check('GET', `/api/v1/chat/${chatId}`, '/api/v1/chat/{id}', visitor);
    const posted = await check('POST', `/api/v1/chat/${chatId}/messages`, '/api/v1/chat/{id}/messages', { ...visitor, body: { content: 'hello', client_message_id: 'c-1' } });
    assert.equal(posted.status, 201);
    assert.equal((await check('POST', `/api/v1/chat/${chatId}/messages`, '/api/v1/chat/{id}/messages', { ...visitor, body: { content: 'hello', client_message_id: 'c-1' } })).body.duplicate, true);
    const history = await check('GET', `/api/v1/chat/${chatId}/messages?limit=5`, '/api/v1/chat/{id}/messages', visitor);
    assert.ok(history.body.items.length >= 1);
    await check('POST', '/api/v1/auth/widget-token', '/api/v1/auth/widget-token', { tenantId: tenant.id, origin: 'http://localhost:3000', body: { publishable_key: tenant.publishableKey } });
    const added = await check('POST', '/api/v1/admin/documents', '/api/v1/admin/documents', { ...admin, body: { title: 'Doc', content: '# Doc\n\nSome text about falcons.', url: 'https://example.com/doc' } });
    const documentId: string = added.body.id;
    await check('GET', '/api/v1/admin/documents', '/api/v1/admin/documents', admin);
    await check('GET', `/api/v1/admin/documents/${documentId}`, '/api/v1/admin/documents/{id}', admin);
    await check('GET', '/api/v1/admin/search?q=falcons', '/api/v1/admin/search', admin);
    await check('POST', '/api/v1/admin/reindex', '/api/v1/admin/reindex', admin);
    await check('DELETE', `/api/v1/admin/documents/${documentId}`, '/api/v1/admin/documents/{id}', admin);
    await check('GET', `/api/v1/admin/documents/${documentId}`, '/api/v1/admin/documents/{id}', admin);
    for (const path of ['/healthz', '/health', '/api/v1/health', '/readyz']) await check('GET', path, path, {});
    // Error answers too: they are documented with ErrorBody.
    await check('POST', '/api/v1/chat', '/api/v1/chat', { tenantId: tenant.id, body: { session_id: 5 } });
    await check('GET', '/api/v1/chat/chat_00000000000000000000000000', '/api/v1/chat/{id}', visitor);
    assert.ok(covered.size >= 15, `${covered.size} operations called`);
  });
});

describe('requests failing a schema get the guide’s error body', () => {
  test('bad query values: 422 validation_error with one detail per field', async () => {
    const token = await tp.mintToken();
    const chat = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: tp.tenantId, body: {} });
    const res = await api(tp.url, 'GET', `/api/v1/chat/${chat.body.id}/messages?limit=0&before=a%20b`, { token, tenantId: tp.tenantId });
    assert.equal(res.status, 422);
    assert.equal(res.body.code, 'validation_error');
    assert.deepEqual(
      res.body.detail.map((detail: { loc: string[]; type: string }) => [detail.loc.join('.'), detail.type]).sort(),
      [
        ['query.before', 'value_error.format'],
        ['query.limit', 'value_error.range'],
      ],
    );
    const errorBody = validatorFor({ $ref: '#/components/schemas/ErrorBody' });
    assert.ok(errorBody(res.body), JSON.stringify(errorBody.errors));
  });

  test('a path id that cannot exist is the route’s not-found code, after authentication', async () => {
    const token = await tp.mintToken();
    const res = await api(tp.url, 'GET', '/api/v1/chat/not%20an%20id', { token, tenantId: tp.tenantId });
    assert.equal(res.status, 404);
    assert.equal(res.body.code, 'chat_not_found');
    const anonymous = await api(tp.url, 'GET', '/api/v1/chat/not%20an%20id', { tenantId: tp.tenantId });
    assert.equal(anonymous.status, 401);
  });

  test('a number where a string belongs is reported, not coerced', async () => {
    const res = await api(tp.url, 'POST', '/api/v1/auth/widget-token', { tenantId: tp.tenantId, origin: 'http://localhost:3000', body: { publishable_key: 42 } });
    assert.equal(res.status, 422);
    assert.deepEqual(res.body.detail, [{ loc: ['body', 'publishable_key'], msg: 'Must be a string', type: 'type_error.string' }]);
  });
});
