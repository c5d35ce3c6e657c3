/**
 * A page on an origin its tenant does not allow (issue #15, item 8): the widget-token preflight is
 * approved and the 403 origin_not_allowed is readable by that page (CORS on that error only), its
 * message names the origin and where to add it, and the server logs one warning per tenant and
 * origin per interval. Nothing else is approved for the refused origin.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '@miptech/server';
import { ManualClock } from '@miptech/testing/manual-clock.ts';
import { ALLOWED_TEST_ORIGIN, startTestPlatform } from '@miptech/testing/test-platform.ts';
import { ORIGIN_REFUSAL_LOG_INTERVAL_MS } from '../../src/http/origin-refusal.ts';

const REFUSED = 'http://not-allowed.example';

test('origin_not_allowed is readable by the refused page, names its origin, and is logged once per tenant+origin', async (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const tp = await startTestPlatform({ env: { LOG_LEVEL: 'warn' }, overrides: { logger: createLogger('warn', sink) } });
  t.after(() => tp.close());
  const { tenant } = await tp.createTenant(`refusal-${Date.now().toString(36)}`, { anonymousWidget: true });

  // The browser's preflight for the JSON POST: approved, so the POST (and its answer) can happen.
  const preflight = await fetch(`${tp.url}/api/v1/auth/widget-token`, {
    method: 'OPTIONS',
    headers: { origin: REFUSED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), REFUSED);
  assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);

  const refuse = () =>
    fetch(`${tp.url}/api/v1/auth/widget-token`, {
      method: 'POST',
      headers: { origin: REFUSED, 'content-type': 'application/json', 'x-tenant-id': tenant.id },
      body: '{}',
    });
  const first = await refuse();
  assert.equal(first.status, 403);
  assert.equal(first.headers.get('access-control-allow-origin'), REFUSED, 'the page can read why it was refused');
  assert.equal(first.headers.get('access-control-allow-credentials'), null, 'and nothing more');
  const body = (await first.json()) as { code: string; message: string };
  assert.equal(body.code, 'origin_not_allowed');
  assert.match(body.message, /not-allowed\.example/);
  assert.match(body.message, /allowed origins/);
  assert.doesNotMatch(body.message, /localhost:3000/, "the tenant's allowed origins are not shown to the page");
  for (let i = 0; i < 4; i += 1) assert.equal((await refuse()).status, 403);

  // Everything else stays unapproved for that origin: another route's answer, another preflight.
  const other = await fetch(`${tp.url}/api/v1/chat`, { method: 'POST', headers: { origin: REFUSED, 'content-type': 'application/json', 'x-tenant-id': tenant.id }, body: '{}' });
  assert.equal(other.headers.get('access-control-allow-origin'), null);
  const otherPreflight = await fetch(`${tp.url}/api/v1/chat`, { method: 'OPTIONS', headers: { origin: REFUSED, 'access-control-request-method': 'POST' } });
  assert.equal(otherPreflight.headers.get('access-control-allow-methods'), null);
  // An allowed origin still gets its token with full CORS.
  const allowed = await fetch(`${tp.url}/api/v1/auth/widget-token`, { method: 'POST', headers: { origin: ALLOWED_TEST_ORIGIN, 'content-type': 'application/json', 'x-tenant-id': tenant.id }, body: '{}' });
  assert.equal(allowed.status, 200);
  assert.equal(allowed.headers.get('access-control-allow-origin'), ALLOWED_TEST_ORIGIN);

  const warnings = lines.filter((line) => typeof line.msg === 'string' && line.msg.startsWith('origin not allowed'));
  assert.equal(warnings.length, 1, `five refusals, one warning: ${JSON.stringify(warnings)}`);
  assert.equal(warnings[0]!.tenantId, tenant.id);
  assert.equal(warnings[0]!.origin, REFUSED);
  assert.deepEqual(warnings[0]!.allowedOrigins, [ALLOWED_TEST_ORIGIN]);
});

test('the refusal warning comes again after the interval, and at once for another origin or tenant', async (t) => {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const clock = new ManualClock();
  const tp = await startTestPlatform({ env: { LOG_LEVEL: 'warn' }, overrides: { logger: createLogger('warn', sink), clock } });
  t.after(() => tp.close());
  const a = (await tp.createTenant(`refusal-a-${Date.now().toString(36)}`, { anonymousWidget: true })).tenant.id;
  const b = (await tp.createTenant(`refusal-b-${Date.now().toString(36)}`, { anonymousWidget: true })).tenant.id;
  const refuse = async (tenantId: string, origin: string) => {
    const response = await fetch(`${tp.url}/api/v1/auth/widget-token`, { method: 'POST', headers: { origin, 'content-type': 'application/json', 'x-tenant-id': tenantId }, body: '{}' });
    assert.equal(response.status, 403);
  };
  const warnings = () => lines.filter((line) => typeof line.msg === 'string' && line.msg.startsWith('origin not allowed')).map((line) => `${String(line.tenantId)} ${String(line.origin)}`);

  await refuse(a, REFUSED);
  await refuse(a, REFUSED);
  await refuse(a, 'http://other.example');
  await refuse(b, REFUSED);
  assert.deepEqual(warnings(), [`${a} ${REFUSED}`, `${a} http://other.example`, `${b} ${REFUSED}`]);
  await clock.advance(ORIGIN_REFUSAL_LOG_INTERVAL_MS - 1000);
  await refuse(a, REFUSED);
  assert.equal(warnings().length, 3, 'still within the interval');
  await clock.advance(1000);
  await refuse(a, REFUSED);
  assert.deepEqual(warnings().slice(3), [`${a} ${REFUSED}`]);
});
