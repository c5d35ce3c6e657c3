import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorForStatus, parseRetryAfter } from '../../src/engines/provider-errors.ts';

test('HTTP statuses map to the ai_* codes', () => {
  const codes = [400, 401, 403, 404, 408, 413, 422, 429, 500, 502, 503, 504, 529].map((status) => [status, errorForStatus(status, 'x').code]);
  assert.deepEqual(Object.fromEntries(codes), {
    400: 'ai_bad_request',
    401: 'ai_auth_failed',
    403: 'ai_auth_failed',
    404: 'ai_bad_request',
    408: 'ai_timeout',
    413: 'ai_bad_request',
    422: 'ai_bad_request',
    429: 'ai_rate_limited',
    500: 'ai_unavailable',
    502: 'ai_unavailable',
    503: 'ai_unavailable',
    504: 'ai_unavailable',
    529: 'ai_unavailable',
  });
});

test('retryAfter is kept (rounded up to whole seconds) only on retryable errors', () => {
  assert.equal(errorForStatus(429, 'x', 1.2).retryAfter, 2);
  assert.equal(errorForStatus(503, 'x', 4).retryAfter, 4);
  assert.equal(errorForStatus(401, 'x', 4).retryAfter, undefined);
  assert.equal(errorForStatus(429, 'x').retryAfter, undefined);
});

test("the provider's message stays in the cause, not in the wire message", () => {
  const error = errorForStatus(401, 'Incorrect API key provided: sk-abc');
  assert.doesNotMatch(error.message, /sk-abc/);
  assert.match(String((error.cause as Error).message), /sk-abc/);
});

test('Retry-After as seconds, as an HTTP date, and retry-after-ms', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': '3' }), now), 3);
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:10 GMT' }), now), 10);
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'Tue, 31 Dec 2024 00:00:00 GMT' }), now), 0);
  assert.equal(parseRetryAfter(new Headers({ 'retry-after-ms': '250', 'retry-after': '1' }), now), 0.25);
  assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now), undefined);
  assert.equal(parseRetryAfter(new Headers(), now), undefined);
});
