/**
 * What the adversarial suites share: a platform with two tenants of their own (A is attacked or
 * fuzzed, B is the other tenant: the control visitor's, or the victim of cross-tenant probes), and
 * the check that an error answer is the guide's typed error body.
 */
import assert from 'node:assert/strict';
import { ERROR_CODES, isErrorCode, type ErrorCode } from '@miptech/protocol';
import type { TenantRecord } from '@miptech/server';
import type { ApiResponse } from '@miptech/testing/api-client.ts';
import { startTestPlatform, ALLOWED_TEST_ORIGIN, type StartTestPlatformOptions, type TestPlatform } from '@miptech/testing/test-platform.ts';

export interface AdversarialTenant {
  readonly id: string;
  readonly secretKey: string;
  readonly publishableKey: string;
  readonly record: TenantRecord;
}

export interface AdversarialPlatform {
  readonly tp: TestPlatform;
  readonly a: AdversarialTenant;
  readonly b: AdversarialTenant;
}

/** Limits high enough that the fuzzers reach the code behind the rate limiter. */
export const GENEROUS_RATE_LIMITS = { messagesPerMinute: 1_000_000, requestsPerMinute: 1_000_000, chatsPerHour: 1_000_000 };

export async function startAdversarialPlatform(
  options: StartTestPlatformOptions & { rateLimitsA?: typeof GENEROUS_RATE_LIMITS } = {},
): Promise<AdversarialPlatform> {
  const { rateLimitsA, ...platformOptions } = options;
  const tp = await startTestPlatform(platformOptions);
  const make = async (id: string, rateLimits: typeof GENEROUS_RATE_LIMITS): Promise<AdversarialTenant> => {
    const created = await tp.createTenant(id, { allowedOrigins: [ALLOWED_TEST_ORIGIN], rateLimits });
    return { id, secretKey: created.secretKey, publishableKey: created.tenant.publishableKey, record: created.tenant };
  };
  return { tp, a: await make('adv-tenant-a', rateLimitsA ?? GENEROUS_RATE_LIMITS), b: await make('adv-tenant-b', GENEROUS_RATE_LIMITS) };
}

/**
 * A REST error answer as the guide writes it (never a 500): JSON `{code, message, request_id}`, a code from the
 * one table, and the HTTP status the table gives that code. HEAD answers have no body: only the
 * status is checked.
 */
export function assertTypedErrorBody(res: ApiResponse, context: string, method = 'GET'): ErrorCode | null {
  // A typed 503 is an availability answer (e.g. widget assets not built yet), not a failure; any other 5xx is.
  const typed503 = res.status === 503 && isErrorCode(res.body?.code) && ERROR_CODES[res.body.code as ErrorCode].status === 503;
  assert.ok(res.status < 500 || typed503, `${context}: server error ${res.status}: ${res.text.slice(0, 300)}`);
  if (res.status < 400) return null;
  if (method === 'HEAD') return null;
  assert.ok(res.body !== null && typeof res.body === 'object', `${context}: ${res.status} without a JSON error body: ${JSON.stringify(res.text.slice(0, 200))}`);
  const { code, message, request_id: requestId } = res.body as Record<string, unknown>;
  assert.ok(isErrorCode(code), `${context}: ${res.status} with an unknown code ${JSON.stringify(code)}`);
  assert.equal(typeof message, 'string', `${context}: error body without a message`);
  assert.equal(typeof requestId, 'string', `${context}: error body without a request_id`);
  assert.equal(res.status, ERROR_CODES[code].status, `${context}: ${code} answered with ${res.status}, the table says ${ERROR_CODES[code].status}`);
  return code;
}

/** Highest RSS seen while `body` runs (sampled every 50 ms), and the RSS before it. */
export async function trackRss<T>(body: () => Promise<T>): Promise<{ result: T; beforeBytes: number; peakBytes: number }> {
  const beforeBytes = process.memoryUsage().rss;
  let peakBytes = beforeBytes;
  const timer = setInterval(() => {
    peakBytes = Math.max(peakBytes, process.memoryUsage().rss);
  }, 50);
  try {
    const result = await body();
    peakBytes = Math.max(peakBytes, process.memoryUsage().rss);
    return { result, beforeBytes, peakBytes };
  } finally {
    clearInterval(timer);
  }
}

export const MiB = 1024 * 1024;
