/**
 * GET /metrics: protected by METRICS_TOKEN (absent without it), Prometheus text, one registry per
 * platform, and the numbers follow what the platform did (sockets, frames, answers, errors, rate
 * limits, database health).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/base/config.ts';
import { createScriptedEngine } from '@miptech/testing/scripted-engine.ts';
import { api } from '@miptech/testing/api-client.ts';
import { connectAndJoin } from '@miptech/testing/ws-test-client.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { PrivateRedis, PRIVATE_REDIS_SKIP } from '../scale/helpers/test-redis.ts';

const METRICS_TOKEN = 'scrape-me-please-0123456789';
let tp: TestPlatform;

/** The value of one sample (`name{labels} value`), or null when the exposition has none. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const present = (match[2] ?? '').split(',').filter(Boolean);
    if (wanted.every((label) => present.includes(label)) && present.length === wanted.length) return Number(match[3]);
  }
  return null;
}

async function scrape(platform: TestPlatform = tp): Promise<string> {
  const res = await api(platform.url, 'GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  return res.text;
}

before(async () => {
  tp = await startTestPlatform({ env: { METRICS_TOKEN }, overrides: { engine: createScriptedEngine({ chunks: ['one', ' two', ' three'] }) } });
});
after(() => tp.close());

describe('protection', () => {
  test('401 without the token or with another one (API keys and visitor tokens included)', async () => {
    const none = await api(tp.url, 'GET', '/metrics');
    assert.equal(none.status, 401);
    assert.equal(none.body.code, 'auth_required');
    for (const authorization of [`Bearer ${METRICS_TOKEN}x`, `Bearer ${await tp.mintToken()}`, `Basic ${METRICS_TOKEN}`]) {
      const wrong = await api(tp.url, 'GET', '/metrics', { headers: { authorization } });
      assert.equal(wrong.status, 401, authorization);
      assert.equal(wrong.body.code, 'invalid_token');
    }
  });

  test('METRICS_TOKEN is validated with the rest of the configuration', () => {
    assert.equal(loadConfig({ METRICS_TOKEN: METRICS_TOKEN }).metricsToken, METRICS_TOKEN);
    assert.equal(loadConfig({}).metricsToken, null);
    for (const bad of ['too-short', 'has a space in it, long enough']) {
      assert.throws(
        () => loadConfig({ METRICS_TOKEN: bad }),
        (error: unknown) => error instanceof ConfigError && error.problems.some((problem) => problem.startsWith('METRICS_TOKEN must be')),
      );
    }
  });

  test('without METRICS_TOKEN, /metrics is not served (404)', async () => {
    const other = await startTestPlatform();
    try {
      const res = await api(other.url, 'GET', '/metrics', { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      assert.equal(res.status, 404);
      assert.equal(res.body.code, 'not_found');
    } finally {
      await other.close();
    }
  });
});

describe('what is measured', () => {
  test('sockets, frames, answers, errors and database health follow what happened', async () => {
    const before = await scrape();
    for (const name of [
      'miptech_ws_connections_open',
      'miptech_ws_connections_joined',
      'miptech_answers_in_flight',
      'miptech_answer_first_chunk_seconds_count',
      'miptech_database_up',
      'miptech_event_loop_delay_p99_seconds',
      'miptech_process_resident_memory_bytes',
    ]) {
      assert.notEqual(sample(before, name), null, name);
    }
    assert.equal(sample(before, 'miptech_database_up'), 1);
    assert.equal(sample(before, 'miptech_redis_up'), null, 'no Redis gauge without REDIS_URL');
    const chunksBefore = sample(before, 'miptech_ws_frames_sent_total', { type: 'response_chunk' })!;
    const answersBefore = sample(before, 'miptech_answer_duration_seconds_count', { status: 'complete' }) ?? 0;

    const token = await tp.mintToken();
    const { ws } = await connectAndJoin(tp.wsUrl(), { token, create: true });
    const during = await scrape();
    assert.equal(sample(during, 'miptech_ws_connections_open'), 1);
    assert.equal(sample(during, 'miptech_ws_connections_joined'), 1);
    ws.send({ type: 'user_message', data: { text: 'how are the metrics?' } });
    const answer = await ws.collectAnswer();
    assert.equal(answer.chunks.length, 3);
    await ws.close();

    // The server sees the close a moment after the client does.
    let after = await scrape();
    for (let tries = 0; tries < 50 && sample(after, 'miptech_ws_connections_open') !== 0; tries += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = await scrape();
    }
    assert.equal(sample(after, 'miptech_ws_frames_sent_total', { type: 'response_chunk' }), chunksBefore + 3);
    assert.ok(sample(after, 'miptech_ws_frames_sent_total', { type: 'chat_joined' })! >= 1);
    assert.equal(sample(after, 'miptech_answer_duration_seconds_count', { status: 'complete' }), answersBefore + 1);
    assert.ok(sample(after, 'miptech_answer_first_chunk_seconds_count')! >= 1);
    assert.equal(sample(after, 'miptech_ws_connections_open'), 0);
    assert.equal(sample(after, 'miptech_answers_in_flight'), 0);

    await api(tp.url, 'GET', '/api/v1/chat/chat_00000000000000000000000000', { token, tenantId: tp.tenantId });
    const errors = await scrape();
    assert.equal(sample(errors, 'miptech_errors_total', { code: 'chat_not_found', transport: 'rest' }), 1);
    assert.ok(sample(errors, 'miptech_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/chat/:id', status: '404' })! >= 1);
    assert.ok(!errors.includes('chat_00000000000000000000000000'), 'ids are not labels');
  });

  test('rate-limit rejections are counted by limit', async () => {
    const limited = await tp.createTenant(`metrics-limited-${Date.now()}`, { rateLimits: { requestsPerMinute: 1, messagesPerMinute: 30, chatsPerHour: 60 } });
    const token = await tp.mintToken({ tenantId: limited.tenant.id });
    const before = sample(await scrape(), 'miptech_rate_limit_rejections_total', { limit: 'requests' })!;
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId: limited.tenant.id, body: {} })).status);
    assert.deepEqual(statuses, [201, 429, 429]);
    const after = await scrape();
    assert.equal(sample(after, 'miptech_rate_limit_rejections_total', { limit: 'requests' }), before + 2);
    assert.ok(sample(after, 'miptech_errors_total', { code: 'rate_limited', transport: 'rest' })! >= 2);
    assert.ok(!after.includes(limited.tenant.id), 'no tenant label');
  });

  test('each platform has its own registry (several in one process)', async () => {
    const second = await startTestPlatform({ env: { METRICS_TOKEN } });
    try {
      const fresh = await scrape(second);
      assert.equal(sample(fresh, 'miptech_ws_frames_sent_total', { type: 'response_chunk' }), 0);
      assert.ok(sample(await scrape(), 'miptech_ws_frames_sent_total', { type: 'response_chunk' })! > 0);
    } finally {
      await second.close();
    }
  });
});

test('miptech_redis_up follows Redis (only with REDIS_URL)', { skip: PRIVATE_REDIS_SKIP }, async (t) => {
  const redis = await PrivateRedis.start();
  t.after(() => redis.stop());
  const node = await startTestPlatform({ env: { METRICS_TOKEN, REDIS_URL: redis.url } });
  t.after(() => node.close());
  assert.equal(sample(await scrape(node), 'miptech_redis_up'), 1);
  await redis.stop();
  let down = await scrape(node);
  for (let tries = 0; tries < 50 && sample(down, 'miptech_redis_up') !== 0; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    down = await scrape(node);
  }
  assert.equal(sample(down, 'miptech_redis_up'), 0);
  assert.equal(sample(down, 'miptech_database_up'), 1, 'the database is another gauge');
});
