/**
 * A platform node configured with REDIS_URL while Redis goes away and comes back: readiness says
 * so, sockets on the node keep getting their answers (with seqs that keep increasing), and the node
 * recovers by itself.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { api } from '@miptech/testing/api-client.ts';
import { connectAndJoin, type WsTestClient } from '@miptech/testing/ws-test-client.ts';
import { PrivateRedis, PRIVATE_REDIS_SKIP } from './helpers/test-redis.ts';
import { waitFor } from '@miptech/testing/wait-for.ts';

const skip = PRIVATE_REDIS_SKIP;

describe('a node losing Redis', { skip }, () => {
  let redis: PrivateRedis;
  let tp: TestPlatform;
  const sockets: WsTestClient[] = [];

  before(async () => {
    redis = await PrivateRedis.start();
    tp = await startTestPlatform({ env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'outage:' } });
  });
  after(async () => {
    await Promise.all(sockets.map((socket) => socket.close().catch(() => undefined)));
    await tp?.close();
    await redis?.stop();
  });

  async function readiness(): Promise<{ status: number; body: { code?: string; message?: string } }> {
    const response = await fetch(`${tp.url}/readyz`);
    return { status: response.status, body: (await response.json()) as { code?: string; message?: string } };
  }

  async function ask(ws: WsTestClient, text: string, id: string) {
    ws.mark();
    ws.send({ type: 'user_message', data: { text, client_message_id: id } });
    const answer = await ws.collectAnswer({ timeoutMs: 10_000 });
    const seqs = ws.all((frame) => typeof frame.seq === 'number').map((frame) => frame.seq as number);
    return { answer, seqs };
  }

  test('readiness reports Redis, local sockets keep their answers, recovery is automatic', async () => {
    assert.equal((await readiness()).status, 200);
    const token = await tp.mintToken({ sub: 'visitor-outage' });
    const { ws, joined } = await connectAndJoin(tp.wsUrl(), { token, create: true });
    sockets.push(ws);
    const chatId = String(joined.data.chat_id);
    const first = await ask(ws, 'Before the outage', 'c-1');
    assert.equal(first.answer.complete.data.status, 'complete');

    await redis.stop();
    const down = await waitFor('readiness 503', async () => {
      const result = await readiness();
      return result.status === 503 ? result : null;
    });
    assert.equal(down.body.code, 'service_unavailable');
    assert.match(String(down.body.message), /redis/i);

    const during = await ask(ws, 'During the outage', 'c-2');
    assert.equal(during.answer.complete.data.status, 'complete', 'the joined socket still gets its whole answer');
    assert.equal(during.answer.text, during.answer.complete.data.content);
    assert.ok(Math.min(...during.seqs) > Math.max(...first.seqs), 'seqs keep increasing without Redis');

    const { ws: late } = await connectAndJoin(tp.wsUrl(), { token, chatId });
    sockets.push(late);
    const lateAnswer = await ask(late, 'A new socket during the outage', 'c-3');
    assert.equal(lateAnswer.answer.complete.data.status, 'complete', 'a socket joined during the outage is served too');

    await redis.start();
    await waitFor('readiness 200 again', async () => (await readiness()).status === 200, 20_000);
    const afterwards = await ask(ws, 'After the outage', 'c-4');
    assert.equal(afterwards.answer.complete.data.status, 'complete');
    assert.ok(Math.min(...afterwards.seqs) > Math.max(...lateAnswer.seqs), 'Redis continues above the seqs issued meanwhile');

    const history = await api(tp.url, 'GET', `/api/v1/chat/${chatId}/messages`, { token, tenantId: tp.tenantId });
    assert.equal(history.status, 200, history.text);
    const page = history.body as { items: Array<{ role: string; status: string }> };
    assert.equal(page.items.filter((message) => message.role === 'user').length, 4, 'every user message stored');
    assert.ok(page.items.filter((message) => message.role === 'assistant').every((message) => message.status === 'complete'));
  });
});

describe('a node starting while Redis is down', { skip }, () => {
  let redis: PrivateRedis;
  let tp: TestPlatform;
  const sockets: WsTestClient[] = [];

  before(async () => {
    redis = await PrivateRedis.start();
    await redis.stop();
  });
  after(async () => {
    await Promise.all(sockets.map((socket) => socket.close().catch(() => undefined)));
    await tp?.close();
    await redis?.stop();
  });

  test('starts anyway, serves its own sockets, reports Redis in readiness and recovers by itself', async () => {
    tp = await startTestPlatform({ env: { REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'late-redis:' } });
    const down = await fetch(`${tp.url}/readyz`);
    assert.equal(down.status, 503);
    assert.match(JSON.stringify(await down.json()), /redis/i);

    const token = await tp.mintToken({ sub: 'visitor-late-redis' });
    const { ws } = await connectAndJoin(tp.wsUrl(), { token, create: true });
    sockets.push(ws);
    ws.send({ type: 'user_message', data: { text: 'Before Redis', client_message_id: 'r-1' } });
    assert.equal((await ws.collectAnswer({ timeoutMs: 10_000 })).complete.data.status, 'complete', 'served without Redis');

    await redis.start();
    await waitFor('readiness 200 once Redis is up', async () => (await fetch(`${tp.url}/readyz`)).status === 200, 20_000);
    ws.mark();
    ws.send({ type: 'user_message', data: { text: 'With Redis', client_message_id: 'r-2' } });
    assert.equal((await ws.collectAnswer({ timeoutMs: 10_000 })).complete.data.status, 'complete');
  });
});
