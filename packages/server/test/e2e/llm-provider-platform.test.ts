/**
 * End to end: the real platform (createPlatform with LLM_PROVIDER set, so the platform builds its
 * own engine through createAnswerEngine) answering through a local server that speaks the
 * provider's real streaming wire format. Covers what only shows with every part together: the
 * tenant's overrides reach the provider, retrieved knowledge is in the prompt and cited, usage is
 * sent and stored, stop_generation closes the upstream request, and provider failures end in an
 * `error` frame plus the terminal response_complete with the partial text kept once.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeProviderServer, RecordedRequest } from '@miptech/testing/fake-llm-server.ts';
import { startFakeOpenAiServer } from '@miptech/testing/fake-openai-server.ts';
import { startFakeAnthropicServer } from '@miptech/testing/fake-anthropic-server.ts';
import { api } from '@miptech/testing/api-client.ts';
import { startTestPlatform, type TestPlatform } from '@miptech/testing/test-platform.ts';
import { connectAndJoin, type ReceivedFrame, type WsTestClient } from '@miptech/testing/ws-test-client.ts';

const SHIPPING_DOC = [
  '# Shipping',
  '',
  'Acme ships every order within 2 business days from the Rotterdam warehouse.',
  '',
  '# Returns',
  '',
  'Unused items can be returned within 30 days for a full refund.',
].join('\n');

const TENANT_LLM = { model: 'tenant-model-x', systemPrompt: 'You are Acme Bot. Speak like a pirate.', temperature: 0.2, maxTokens: 77 };

/** Resolves true when `promise` settles within `ms`, false otherwise (a bounded wait, not a timing assertion). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const result = await Promise.race([promise.then(() => true as const), timeout]);
  clearTimeout(timer);
  return result;
}

interface ProviderCase {
  name: 'openai-compatible' | 'anthropic';
  start: () => Promise<FakeProviderServer>;
  /** The model the fake's stream names (providers resolve aliases to a dated version). */
  reportedModel: string;
  /** Generation settings the provider received, read from its request body. */
  settingsOf(request: RecordedRequest): { model: unknown; temperature: unknown; maxTokens: unknown; system: string };
}

const providers: ProviderCase[] = [
  {
    name: 'openai-compatible',
    start: startFakeOpenAiServer,
    reportedModel: 'gpt-4o-mini-2024-07-18',
    settingsOf(request) {
      const body = request.body as { model: unknown; temperature?: unknown; max_tokens?: unknown; messages: Array<{ role: string; content: string }> };
      return { model: body.model, temperature: body.temperature, maxTokens: body.max_tokens, system: body.messages.find((m) => m.role === 'system')?.content ?? '' };
    },
  },
  {
    name: 'anthropic',
    start: startFakeAnthropicServer,
    reportedModel: 'claude-sonnet-4-20250514',
    settingsOf(request) {
      const body = request.body as { model: unknown; temperature?: unknown; max_tokens?: unknown; system: string };
      return { model: body.model, temperature: body.temperature, maxTokens: body.max_tokens, system: body.system };
    },
  },
];

for (const provider of providers) {
  describe(`real platform answering through ${provider.name}`, () => {
    let fake: FakeProviderServer;
    let tp: TestPlatform;
    let acmeKey: string;

    before(async () => {
      fake = await provider.start();
      tp = await startTestPlatform({
        env: {
          LLM_PROVIDER: provider.name,
          LLM_BASE_URL: fake.baseUrl,
          LLM_API_KEY: 'sk-provider-test',
          LLM_MODEL: 'platform-default-model',
          // Short enough for the stall test below, long for a provider on 127.0.0.1.
          LLM_TIMEOUT_MS: '1500',
        },
        // null: the platform builds the engine from its own LLM_* configuration.
        overrides: { engine: null },
      });
      const acme = await tp.createTenant('acme', { llm: TENANT_LLM });
      await tp.createTenant('plain');
      acmeKey = acme.secretKey;
      const added = await api(tp.url, 'POST', '/api/v1/admin/documents', {
        token: acmeKey,
        body: { title: 'Shipping and returns', content: SHIPPING_DOC, format: 'markdown', url: 'https://acme.example/shipping' },
      });
      assert.equal(added.status, 201, added.text);
    });
    after(async () => {
      await tp?.close();
      await fake?.close();
    });

    async function joinedChat(tenantId: string): Promise<{ ws: WsTestClient; chatId: string; token: string }> {
      const token = await tp.mintToken({ tenantId });
      const created = await api(tp.url, 'POST', '/api/v1/chat', { token, tenantId, body: { session_id: crypto.randomUUID() } });
      assert.equal(created.status, 201, created.text);
      const { ws } = await connectAndJoin(tp.wsUrl({}, tenantId), { chatId: created.body.id, token });
      return { ws, chatId: created.body.id, token };
    }

    async function storedAnswer(tenantId: string, chatId: string, token: string, messageId: string): Promise<Record<string, any>> {
      const res = await api(tp.url, 'GET', `/api/v1/chat/${chatId}/messages`, { token, tenantId });
      assert.equal(res.status, 200, res.text);
      const stored = (res.body.items as Array<Record<string, any>>).find((item) => item.id === messageId);
      assert.ok(stored, 'the answer is stored');
      return stored;
    }

    const errorsOf = (ws: WsTestClient): ReceivedFrame[] => ws.all('error');

    test("the tenant's model, system prompt, temperature and max tokens reach the provider; sources and usage are sent and stored", async (t) => {
      const { ws, chatId, token } = await joinedChat('acme');
      t.after(() => ws.close());
      const requestsBefore = fake.requests.length;
      fake.replyStream({ deltas: ['We ship ', 'within 2 business days', ' [1].'], usage: { promptTokens: 321, completionTokens: 17 } });
      ws.mark();
      ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'How fast do you ship my order?', client_message_id: 'c-1' } });
      const answer = await ws.collectAnswer();

      assert.equal(fake.requests.length, requestsBefore + 1, 'one upstream request');
      const sent = provider.settingsOf(fake.requests.at(-1)!);
      assert.equal(sent.model, TENANT_LLM.model);
      assert.equal(sent.temperature, TENANT_LLM.temperature);
      assert.equal(sent.maxTokens, TENANT_LLM.maxTokens);
      assert.ok(sent.system.startsWith(TENANT_LLM.systemPrompt), 'the tenant system prompt leads the instructions');
      assert.match(sent.system, /\[1\] Shipping and returns/, 'retrieved passages are numbered sources');
      assert.match(sent.system, /within 2 business days from the Rotterdam warehouse/);

      const complete = answer.complete.data;
      assert.equal(answer.text, 'We ship within 2 business days [1].');
      assert.equal(complete.content, answer.text);
      assert.equal(complete.status, 'complete');
      assert.equal(complete.llm_model, provider.reportedModel);
      assert.equal(complete.prompt_tokens, 321);
      assert.equal(complete.completion_tokens, 17);
      assert.equal(complete.total_tokens, 338);
      assert.equal(typeof complete.response_time_ms, 'number');
      assert.deepEqual(
        (complete.sources as Array<Record<string, unknown>>).map((source) => [source.title, source.url]),
        [['Shipping and returns', 'https://acme.example/shipping']],
      );
      assert.deepEqual(errorsOf(ws), []);

      const stored = await storedAnswer('acme', chatId, token, answer.messageId);
      assert.equal(stored.content, answer.text);
      assert.equal(stored.status, 'complete');
      assert.equal(stored.llm_model, provider.reportedModel);
      assert.equal(stored.prompt_tokens, 321);
      assert.equal(stored.completion_tokens, 17);
      assert.equal(stored.response_time_ms, complete.response_time_ms);
      assert.deepEqual(stored.sources, complete.sources);
    });

    test('a tenant without overrides gets the platform defaults, and none of the other tenant’s knowledge', async (t) => {
      const { ws, chatId } = await joinedChat('plain');
      t.after(() => ws.close());
      fake.replyStream({ deltas: ['I do not know.'], usage: null });
      ws.mark();
      ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'How fast do you ship my order?' } });
      const answer = await ws.collectAnswer();

      const sent = provider.settingsOf(fake.requests.at(-1)!);
      assert.equal(sent.model, 'platform-default-model');
      assert.equal(sent.temperature, undefined);
      assert.doesNotMatch(sent.system, /Rotterdam|Pirate/i);
      assert.match(sent.system, /Sources: none were found/);
      const complete = answer.complete.data;
      assert.equal(complete.status, 'complete');
      assert.deepEqual(complete.sources, []);
      // No usage from the provider: counted, never missing.
      assert.ok(complete.prompt_tokens > 0 && complete.completion_tokens > 0, 'usage is counted');
    });

    test('the conversation so far goes to the provider with the new question last', async (t) => {
      const { ws, chatId } = await joinedChat('acme');
      t.after(() => ws.close());
      fake.replyStream({ deltas: ['Within 2 business days [1].'] });
      ws.mark();
      ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'How fast do you ship?' } });
      await ws.collectAnswer();
      fake.replyStream({ deltas: ['Within 30 days [1].'] });
      ws.mark();
      ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'And returns?' } });
      await ws.collectAnswer();
      const body = fake.requests.at(-1)!.body as { messages: Array<{ role: string; content: string }> };
      const turns = body.messages.filter((m) => m.role !== 'system').map((m) => [m.role, m.content]);
      assert.deepEqual(turns, [
        ['user', 'How fast do you ship?'],
        ['assistant', 'Within 2 business days [1].'],
        ['user', 'And returns?'],
      ]);
    });

    test('stop_generation closes the upstream request at once; the partial answer is stored as stopped with its usage', async (t) => {
      const { ws, chatId, token } = await joinedChat('acme');
      t.after(() => ws.close());
      // 40 pieces 100 ms apart: the provider would stream for about 4 s.
      const deltas = Array.from({ length: 40 }, (_, index) => `w${index} `);
      fake.replyStream({ deltas, delayMs: 100 });
      ws.mark();
      ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'Tell me about shipping' } });
      await ws.waitFor('response_chunk');
      const upstream = fake.requests.at(-1)!;
      ws.send({ type: 'stop_generation', data: { chat_id: chatId } });

      assert.ok(await settlesWithin(upstream.closedEarly, 2000), 'the upstream connection is closed before the provider finished');
      assert.equal(upstream.completed, false);
      const answer = await ws.collectAnswer();
      const complete = answer.complete.data;
      assert.equal(complete.status, 'stopped');
      assert.equal(complete.content, answer.text, 'the terminal content is exactly the chunks sent');
      assert.ok(answer.text.length > 0 && answer.text.length < deltas.join('').length, 'a part of the answer');
      assert.ok(deltas.join('').startsWith(answer.text), 'no piece repeated or skipped');
      assert.deepEqual(errorsOf(ws), [], 'a stop is not an error');

      const stored = await storedAnswer('acme', chatId, token, answer.messageId);
      assert.equal(stored.status, 'stopped');
      assert.equal(stored.content, answer.text);
      assert.ok(stored.prompt_tokens > 0 && stored.completion_tokens > 0, 'usage is counted for a stopped answer');
    });

    test('401: an ai_auth_failed error frame, then the terminal response_complete; no retry', async (t) => {
      const { ws, chatId, token } = await joinedChat('acme');
      t.after(() => ws.close());
      const requestsBefore = fake.requests.length;
      fake.replyError(401);
      ws.mark();
      ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'How fast do you ship?' } });
      const answer = await ws.collectAnswer();
      const errors = errorsOf(ws);
      assert.equal(errors.length, 1);
      assert.equal(errors[0]!.data.code, 'ai_auth_failed');
      assert.equal(errors[0]!.data.retryable, false);
      assert.equal(errors[0]!.data.message_id, answer.messageId);
      assert.doesNotMatch(JSON.stringify(errors[0]), /fake error|invalid_api_key/, 'the provider message stays off the wire');
      assert.equal(answer.complete.data.status, 'error');
      assert.equal(answer.complete.data.error_code, 'ai_auth_failed');
      assert.equal(fake.requests.length, requestsBefore + 1, 'no retry for a 401');
      const stored = await storedAnswer('acme', chatId, token, answer.messageId);
      assert.equal(stored.status, 'error');
    });

    test(
      'stopped and failed answers name the model that was asked, not the engine',
      async (t) => {
        const { ws, chatId, token } = await joinedChat('acme');
        t.after(() => ws.close());
        fake.replyStream({ deltas: Array.from({ length: 40 }, (_, index) => `w${index} `), delayMs: 100 });
        ws.mark();
        ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'Tell me about shipping' } });
        await ws.waitFor('response_chunk');
        ws.send({ type: 'stop_generation', data: { chat_id: chatId } });
        const stopped = await ws.collectAnswer();
        fake.replyError(401);
        ws.mark();
        ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'And returns?' } });
        const failed = await ws.collectAnswer();
        for (const answer of [stopped, failed]) {
          assert.equal(answer.complete.data.llm_model, TENANT_LLM.model);
          assert.equal((await storedAnswer('acme', chatId, token, answer.messageId)).llm_model, TENANT_LLM.model);
        }
      },
    );

    test('a stream that breaks mid-answer: partial text kept once, ai_unavailable error, terminal response_complete', async (t) => {
      const { ws, chatId, token } = await joinedChat('acme');
      t.after(() => ws.close());
      const requestsBefore = fake.requests.length;
      fake.replyStream({ deltas: ['We ship ', 'within 2 ', 'business days.'], interrupt: { afterDeltas: 2, how: 'destroy' } });
      ws.mark();
      ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'How fast do you ship?' } });
      const answer = await ws.collectAnswer();
      assert.deepEqual(answer.chunks.map((chunk) => chunk.data.content), ['We ship ', 'within 2 ']);
      assert.equal(answer.complete.data.content, 'We ship within 2 ');
      assert.equal(answer.complete.data.status, 'error');
      const errors = errorsOf(ws);
      assert.deepEqual(errors.map((frame) => frame.data.code), ['ai_unavailable']);
      assert.equal(errors[0]!.data.retryable, true);
      const types = ws.all(() => true).map((frame) => frame.type);
      assert.ok(types.indexOf('error') < types.indexOf('response_complete'), 'the error comes before the terminal event');
      assert.equal(fake.requests.length, requestsBefore + 1, 'no retry once text was streamed');
      const stored = await storedAnswer('acme', chatId, token, answer.messageId);
      assert.equal(stored.content, 'We ship within 2 ');
      assert.equal(stored.status, 'error');
    });

    test('a provider that stalls mid-answer: ai_timeout, partial text kept, terminal response_complete', async (t) => {
      const { ws, chatId, token } = await joinedChat('acme');
      t.after(() => ws.close());
      fake.replyStream({ deltas: ['We ship ', 'within'], interrupt: { afterDeltas: 1, how: 'hang' } });
      ws.mark();
      ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'How fast do you ship?' } });
      const answer = await ws.collectAnswer();
      assert.deepEqual(errorsOf(ws).map((frame) => frame.data.code), ['ai_timeout']);
      assert.equal(answer.complete.data.status, 'error');
      assert.equal(answer.complete.data.content, 'We ship ');
      assert.equal(answer.text, 'We ship ');
      const stored = await storedAnswer('acme', chatId, token, answer.messageId);
      assert.equal(stored.content, 'We ship ');
    });

    test('a 500 before the first token is retried once and the visitor sees only the good answer', async (t) => {
      const { ws, chatId } = await joinedChat('acme');
      t.after(() => ws.close());
      const requestsBefore = fake.requests.length;
      fake.replyError(500);
      fake.replyStream({ deltas: ['Within 2 business days [1].'] });
      ws.mark();
      ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'How fast do you ship?' } });
      const answer = await ws.collectAnswer();
      assert.equal(answer.complete.data.status, 'complete');
      assert.equal(answer.text, 'Within 2 business days [1].');
      assert.deepEqual(errorsOf(ws), []);
      assert.equal(fake.requests.length, requestsBefore + 2);
    });

    test('429 twice: an ai_rate_limited error frame and the terminal response_complete', async (t) => {
      const { ws, chatId } = await joinedChat('acme');
      t.after(() => ws.close());
      const requestsBefore = fake.requests.length;
      fake.replyError(429, { headers: { 'retry-after': '0' } });
      fake.replyError(429, { headers: { 'retry-after': '0' } });
      ws.mark();
      ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'How fast do you ship?' } });
      const answer = await ws.collectAnswer();
      assert.deepEqual(errorsOf(ws).map((frame) => frame.data.code), ['ai_rate_limited']);
      assert.equal(answer.complete.data.status, 'error');
      assert.equal(answer.complete.data.content, '');
      assert.equal(fake.requests.length, requestsBefore + 2, 'one retry, then the failure');
    });

    test(
      "a provider asking for a long wait: ai_rate_limited at once, and the error frame tells the client when to retry",
      async (t) => {
        const { ws, chatId } = await joinedChat('acme');
        t.after(() => ws.close());
        const requestsBefore = fake.requests.length;
        fake.replyError(429, { headers: { 'retry-after': '30' } });
        ws.mark();
        ws.send({ type: 'user_message', data: { chat_id: chatId, text: 'How fast do you ship?' } });
        const answer = await ws.collectAnswer();
        assert.equal(answer.complete.data.status, 'error');
        assert.equal(fake.requests.length, requestsBefore + 1, 'no retry when the provider asks for a long wait');
        const errors = errorsOf(ws);
        assert.deepEqual(errors.map((frame) => frame.data.code), ['ai_rate_limited']);
        assert.equal(errors[0]!.data.retry_after, 30);
      },
    );
  });
}
