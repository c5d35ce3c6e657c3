/**
 * Cost control on real sockets and REST, on the store of TEST_STORE: daily token budgets per
 * visitor and per tenant are checked before the model call (the engine is not asked) and counted
 * after it; over a budget an answer ends with `error` budget_exceeded (retry_after: seconds to the
 * next UTC day) and a terminal response_complete, REST answers 429 with Retry-After, and the
 * rejections are counted in /metrics. The tenant's cap on model calls at once makes an answer wait,
 * then fail with model_busy.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { api } from '@miptech/testing/api-client.ts';
import { ManualClock } from '@miptech/testing/manual-clock.ts';
import { createScriptedEngine, manualGate } from '@miptech/testing/scripted-engine.ts';
import { connectAndJoin, type WsTestClient } from '@miptech/testing/ws-test-client.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';

const DAY_MS = 86_400_000;
/** Each scripted answer costs 10 prompt tokens + 5 completion tokens (one per chunk). */
const ANSWER_TOKENS = 15;

async function join(tp: TestPlatform, tenantId: string, sub: string): Promise<{ ws: WsTestClient; chatId: string }> {
  const token = await tp.mintToken({ tenantId, sub });
  const { ws, joined } = await connectAndJoin(tp.wsUrl({}, tenantId), { token, create: true });
  return { ws, chatId: String(joined.data.chat_id) };
}

async function ask(ws: WsTestClient, chatId: string, text = 'hello') {
  ws.mark();
  ws.send({ type: 'user_message', data: { chat_id: chatId, text, client_message_id: randomUUID() } });
  const answer = await ws.collectAnswer();
  const errors = ws.all((frame) => frame.type === 'error');
  return { answer, error: errors[0] };
}

async function budgetRejections(tp: TestPlatform, budget: string): Promise<number> {
  const text = await tp.platform.services.metrics.registry.metrics();
  const match = new RegExp(`^miptech_budget_rejections_total\\{budget="${budget}"\\} (\\d+)`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

describe('daily token budgets', () => {
  test('a visitor over its daily budget: no model call, error + terminal response_complete, REST 429, a new UTC day resets it', async (t) => {
    // Ten seconds before a UTC midnight: moving the clock past it starts a new budget day.
    const clock = new ManualClock(Math.ceil(Date.now() / DAY_MS) * DAY_MS - 10_000);
    const engine = createScriptedEngine();
    const tp = await startTestPlatform({ overrides: { engine, clock } });
    t.after(() => tp.close());
    const tenantId = `budget-v-${Date.now().toString(36)}`;
    // 20 tokens: the first answer (15) is under it, the second starts under it and ends over it (30).
    await tp.createTenant(tenantId, { visitorDailyTokenBudget: 20 });

    const alice = await join(tp, tenantId, 'alice');
    t.after(() => alice.ws.close());
    for (let answer = 1; answer <= 2; answer += 1) {
      const { answer: end, error } = await ask(alice.ws, alice.chatId);
      assert.equal(end.complete.data.status, 'complete', `answer ${answer} is under the budget`);
      assert.equal(error, undefined);
    }
    const day = new Date(clock.now()).toISOString().slice(0, 10);
    assert.deepEqual(await tp.platform.services.store.tokenUsage.usage(tenantId, 'alice', day), { visitor: 2 * ANSWER_TOKENS, tenant: 2 * ANSWER_TOKENS });
    const modelCalls = engine.requests.length;

    const refused = await ask(alice.ws, alice.chatId);
    assert.equal(engine.requests.length, modelCalls, 'the model is not called over the budget');
    assert.equal(refused.error?.data.code, 'budget_exceeded');
    assert.equal(refused.error?.data.retryable, true);
    assert.equal(refused.error?.data.retry_after, 10, 'seconds to the next UTC day');
    assert.equal(refused.answer.complete.data.status, 'error');
    assert.equal(refused.answer.complete.data.error_code, 'budget_exceeded');
    assert.equal(refused.answer.text, '');

    // Another visitor of the tenant has a budget of its own.
    const bob = await join(tp, tenantId, 'bob');
    t.after(() => bob.ws.close());
    assert.equal((await ask(bob.ws, bob.chatId)).answer.complete.data.status, 'complete');

    // REST: refused before the message is stored, 429 with Retry-After.
    const token = await tp.mintToken({ tenantId, sub: 'alice' });
    const rest = await api(tp.url, 'POST', `/api/v1/chat/${alice.chatId}/messages`, { token, tenantId, body: { content: 'over REST', client_message_id: randomUUID() } });
    assert.equal(rest.status, 429);
    assert.equal(rest.body.code, 'budget_exceeded');
    assert.equal(rest.body.retry_after, 10);
    assert.equal(rest.headers.get('retry-after'), '10');
    const history = await api(tp.url, 'GET', `/api/v1/chat/${alice.chatId}/messages`, { token, tenantId });
    assert.ok(!history.text.includes('over REST'), 'the refused REST message was not stored');

    assert.ok((await budgetRejections(tp, 'visitor_tokens')) >= 2, 'the WebSocket and the REST rejection are counted');

    // The next UTC day: the budget is whole again.
    await clock.advance(11_000);
    const nextDay = await join(tp, tenantId, 'alice');
    t.after(() => nextDay.ws.close());
    assert.equal((await ask(nextDay.ws, nextDay.chatId)).answer.complete.data.status, 'complete');
  });

  test("the tenant's daily budget is shared by all its visitors; another tenant is not affected", async (t) => {
    const engine = createScriptedEngine();
    const tp = await startTestPlatform({ overrides: { engine } });
    t.after(() => tp.close());
    const tenantId = `budget-t-${Date.now().toString(36)}`;
    await tp.createTenant(tenantId, { tenantDailyTokenBudget: ANSWER_TOKENS });
    const other = `budget-o-${Date.now().toString(36)}`;
    await tp.createTenant(other, { tenantDailyTokenBudget: ANSWER_TOKENS });

    const alice = await join(tp, tenantId, 'alice');
    t.after(() => alice.ws.close());
    assert.equal((await ask(alice.ws, alice.chatId)).answer.complete.data.status, 'complete');
    const bob = await join(tp, tenantId, 'bob');
    t.after(() => bob.ws.close());
    const refused = await ask(bob.ws, bob.chatId);
    assert.equal(refused.error?.data.code, 'budget_exceeded');
    assert.equal(refused.answer.complete.data.error_code, 'budget_exceeded');
    assert.ok((await budgetRejections(tp, 'tenant_tokens')) >= 1);

    const carol = await join(tp, other, 'carol');
    t.after(() => carol.ws.close());
    assert.equal((await ask(carol.ws, carol.chatId)).answer.complete.data.status, 'complete');
  });

  test('the environment defaults apply to tenants without a budget of their own', async (t) => {
    const engine = createScriptedEngine();
    const tp = await startTestPlatform({ overrides: { engine }, env: { TOKEN_BUDGET_VISITOR_DAILY: '1' } });
    t.after(() => tp.close());
    const tenantId = `budget-d-${Date.now().toString(36)}`;
    await tp.createTenant(tenantId);
    const alice = await join(tp, tenantId, 'alice');
    t.after(() => alice.ws.close());
    assert.equal((await ask(alice.ws, alice.chatId)).answer.complete.data.status, 'complete');
    assert.equal((await ask(alice.ws, alice.chatId)).error?.data.code, 'budget_exceeded');
  });
});

describe('per-tenant cap on model calls at once', () => {
  test('over the cap an answer waits, then fails with model_busy; within the wait it runs once a slot frees', async (t) => {
    const gate = manualGate();
    const engine = createScriptedEngine({ gate: gate.promise });
    const tp = await startTestPlatform({ overrides: { engine }, env: { MODEL_CALL_WAIT_MS: '300' } });
    t.after(() => tp.close());
    const tenantId = `cap-${Date.now().toString(36)}`;
    await tp.createTenant(tenantId, { maxConcurrentModelCalls: 1 });

    const first = await join(tp, tenantId, 'alice');
    t.after(() => first.ws.close());
    first.ws.mark();
    first.ws.send({ type: 'user_message', data: { chat_id: first.chatId, text: 'held', client_message_id: randomUUID() } });
    await first.ws.waitFor('response_start');

    const second = await join(tp, tenantId, 'bob');
    t.after(() => second.ws.close());
    const startedAt = Date.now();
    const busy = await ask(second.ws, second.chatId);
    assert.equal(busy.error?.data.code, 'model_busy');
    assert.equal(busy.error?.data.retry_after, 1);
    assert.equal(busy.answer.complete.data.status, 'error');
    assert.equal(busy.answer.complete.data.error_code, 'model_busy');
    assert.ok(Date.now() - startedAt >= 250, 'it waited for a slot first');
    assert.equal(engine.requests.length, 1, 'only the first answer reached the model');
    assert.ok((await budgetRejections(tp, 'concurrency')) >= 1);

    // A third answer waits in line and runs as soon as the first gives its slot back.
    const third = await join(tp, tenantId, 'carol');
    t.after(() => third.ws.close());
    third.ws.mark();
    third.ws.send({ type: 'user_message', data: { chat_id: third.chatId, text: 'queued', client_message_id: randomUUID() } });
    await third.ws.waitFor('response_start');
    gate.open();
    assert.equal((await first.ws.collectAnswer()).complete.data.status, 'complete');
    assert.equal((await third.ws.collectAnswer()).complete.data.status, 'complete');

    // Another tenant is not held by this tenant's cap.
    const free = `cap-free-${Date.now().toString(36)}`;
    await tp.createTenant(free, { maxConcurrentModelCalls: 1 });
    const dave = await join(tp, free, 'dave');
    t.after(() => dave.ws.close());
    assert.equal((await ask(dave.ws, dave.chatId)).answer.complete.data.status, 'complete');
  });
});
