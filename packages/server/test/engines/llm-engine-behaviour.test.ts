/**
 * Behaviour both LLM engines share, run against local servers speaking each provider's real
 * streaming wire format: streaming, usage, sources, timeouts, retries, errors and stops.
 */
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AnswerEngine } from '../../src/engines/answer-engine.ts';
import { createAnthropicEngine } from '../../src/engines/anthropic-engine.ts';
import { createOpenAiCompatibleEngine } from '../../src/engines/openai-compatible-engine.ts';
import { startFakeAnthropicServer } from '@miptech/testing/fake-anthropic-server.ts';
import type { FakeProviderServer, RecordedRequest } from '@miptech/testing/fake-llm-server.ts';
import { startFakeOpenAiServer } from '@miptech/testing/fake-openai-server.ts';
import { collectAnswer, makeRequest, within } from './engine-fixtures.ts';

type FakeProvider = FakeProviderServer;

interface EngineTuning {
  timeoutMs?: number;
}

const providers: Array<{
  name: string;
  start: () => Promise<FakeProvider>;
  engine: (server: FakeProvider, tuning?: EngineTuning) => AnswerEngine;
  defaultModel: string;
}> = [
  {
    name: 'openai-compatible',
    start: startFakeOpenAiServer,
    engine: (server, tuning = {}) =>
      createOpenAiCompatibleEngine({
        baseUrl: server.baseUrl,
        apiKey: 'sk-test',
        model: 'gpt-4o-mini',
        timeoutMs: tuning.timeoutMs ?? 5000,
        retryDelayMs: 10,
      }),
    defaultModel: 'gpt-4o-mini-2024-07-18',
  },
  {
    name: 'anthropic',
    start: startFakeAnthropicServer,
    engine: (server, tuning = {}) =>
      createAnthropicEngine({
        baseUrl: server.baseUrl,
        apiKey: 'sk-ant-test',
        model: 'claude-sonnet-4-0',
        timeoutMs: tuning.timeoutMs ?? 5000,
        retryDelayMs: 10,
      }),
    defaultModel: 'claude-sonnet-4-20250514',
  },
];

const ANSWER = ['We ship ', 'orders within ', '2 business days', ' [1]. Returns: ', '30 days [2].'];

for (const provider of providers) {
  describe(`${provider.name} engine`, () => {
    let server: FakeProvider;
    before(async () => {
      server = await provider.start();
    });
    after(async () => {
      await server.close();
    });
    const requestsSince = (start: number): RecordedRequest[] => server.requests.slice(start);

    test('streams the answer, then cited sources and the provider-reported usage', async () => {
      server.replyStream({ deltas: ANSWER, usage: { promptTokens: 321, completionTokens: 17 } });
      const result = await collectAnswer(provider.engine(server), makeRequest());
      assert.equal(result.error, undefined);
      assert.deepEqual(result.texts, ANSWER);
      assert.deepEqual(
        result.parts.map((part) => part.type),
        [...ANSWER.map(() => 'text'), 'sources', 'usage'],
      );
      assert.deepEqual(
        result.sources?.map((source) => source.document_id),
        ['doc-1', 'doc-2'],
      );
      assert.deepEqual(result.usage, { type: 'usage', model: provider.defaultModel, promptTokens: 321, completionTokens: 17 });
    });

    test('counts usage itself when the provider reports none', async () => {
      server.replyStream({ deltas: ['Two ', 'days.'], usage: null });
      const result = await collectAnswer(provider.engine(server), makeRequest());
      assert.equal(result.error, undefined);
      assert.equal(result.text, 'Two days.');
      assert.ok(result.usage !== undefined);
      assert.ok((result.usage.promptTokens ?? 0) > 20, `prompt estimate ${result.usage.promptTokens}`);
      assert.ok((result.usage.completionTokens ?? 0) >= 2);
      // Nothing cited: every passage given is listed.
      assert.equal(result.sources?.length, 3);
    });

    test('a slow stream whose pieces each arrive within the timeout completes', async () => {
      const deltas = Array.from({ length: 12 }, (_, index) => `w${index} `);
      server.replyStream({ deltas, delayMs: 40 });
      const result = await collectAnswer(provider.engine(server, { timeoutMs: 400 }), makeRequest());
      assert.equal(result.error, undefined);
      assert.equal(result.text, deltas.join(''));
    });

    test('a consumer slower than the timeout does not make the provider time out', async () => {
      const deltas = Array.from({ length: 10 }, (_, index) => `slow${index} `);
      server.replyStream({ deltas, delayMs: 20 });
      const texts: string[] = [];
      for await (const part of provider.engine(server, { timeoutMs: 150 }).stream(makeRequest())) {
        if (part.type !== 'text') continue;
        texts.push(part.text);
        if (texts.length <= 2) await new Promise((resolve) => setTimeout(resolve, 300));
      }
      assert.deepEqual(texts, deltas);
    });

    test('a connection reset mid-answer keeps the partial text once and fails with ai_unavailable', async () => {
      const start = server.requests.length;
      server.replyStream({ deltas: ANSWER, interrupt: { afterDeltas: 2, how: 'destroy' } });
      const result = await collectAnswer(provider.engine(server), makeRequest());
      assert.equal(result.error?.code, 'ai_unavailable');
      assert.deepEqual(result.texts, ANSWER.slice(0, 2));
      assert.equal(result.parts.some((part) => part.type === 'usage'), false);
      assert.equal(requestsSince(start).length, 1, 'no retry once text was streamed');
    });

    test("the provider's error event mid-answer keeps the partial text and fails with ai_unavailable", async () => {
      const start = server.requests.length;
      server.replyStream({ deltas: ANSWER, interrupt: { afterDeltas: 3, how: 'error' } });
      const result = await collectAnswer(provider.engine(server), makeRequest());
      assert.equal(result.error?.code, 'ai_unavailable');
      assert.equal(result.text, ANSWER.slice(0, 3).join(''));
      assert.equal(requestsSince(start).length, 1);
    });

    test('an error event before the first token is retried once', async () => {
      const start = server.requests.length;
      server.replyStream({ deltas: ANSWER, interrupt: { afterDeltas: 0, how: 'error' } });
      server.replyStream({ deltas: ANSWER });
      const result = await collectAnswer(provider.engine(server), makeRequest());
      assert.equal(result.error, undefined);
      assert.equal(result.text, ANSWER.join(''));
      assert.equal(requestsSince(start).length, 2);
    });

    test('401 fails with ai_auth_failed without a retry', async () => {
      const start = server.requests.length;
      server.replyError(401);
      const result = await collectAnswer(provider.engine(server), makeRequest());
      assert.equal(result.error?.code, 'ai_auth_failed');
      assert.equal(result.error?.retryable, false);
      assert.equal(result.text, '');
      assert.equal(requestsSince(start).length, 1);
      // The provider's own message is for the logs, not the visitor.
      assert.doesNotMatch(result.error?.message ?? '', /fake error/);
    });

    test('403 fails with ai_auth_failed and 400 with ai_bad_request', async () => {
      server.replyError(403);
      assert.equal((await collectAnswer(provider.engine(server), makeRequest())).error?.code, 'ai_auth_failed');
      server.replyError(400);
      assert.equal((await collectAnswer(provider.engine(server), makeRequest())).error?.code, 'ai_bad_request');
    });

    test('429 with Retry-After is retried once after the wait, then succeeds', async () => {
      const start = server.requests.length;
      server.replyError(429, { headers: { 'retry-after': '1' } });
      server.replyStream({ deltas: ANSWER });
      const began = Date.now();
      const result = await collectAnswer(provider.engine(server), makeRequest());
      assert.equal(result.error, undefined);
      assert.equal(result.text, ANSWER.join(''));
      assert.equal(requestsSince(start).length, 2);
      // Honoured, not skipped (a lower bound only: no upper timing assertion).
      assert.ok(Date.now() - began >= 900, 'waited for Retry-After');
    });

    test('429 twice fails with ai_rate_limited carrying retryAfter', async () => {
      const start = server.requests.length;
      server.replyError(429, { headers: { 'retry-after': '0' } });
      server.replyError(429, { headers: { 'retry-after': '7' } });
      const result = await collectAnswer(provider.engine(server), makeRequest());
      assert.equal(result.error?.code, 'ai_rate_limited');
      assert.equal(result.error?.retryAfter, 7);
      assert.equal(requestsSince(start).length, 2);
    });

    test('429 asking for a long wait fails at once instead of retrying', async () => {
      const start = server.requests.length;
      server.replyError(429, { headers: { 'retry-after': '120' } });
      const result = await collectAnswer(provider.engine(server), makeRequest());
      assert.equal(result.error?.code, 'ai_rate_limited');
      assert.equal(result.error?.retryAfter, 120);
      assert.equal(requestsSince(start).length, 1);
    });

    test('500 is retried once; a second 500 fails with ai_unavailable', async () => {
      const start = server.requests.length;
      server.replyError(500);
      server.replyError(503);
      const result = await collectAnswer(provider.engine(server), makeRequest());
      assert.equal(result.error?.code, 'ai_unavailable');
      assert.equal(requestsSince(start).length, 2);
    });

    test('500 then a good stream succeeds on the retry', async () => {
      server.replyError(500);
      server.replyStream({ deltas: ANSWER });
      const result = await collectAnswer(provider.engine(server), makeRequest());
      assert.equal(result.error, undefined);
      assert.equal(result.text, ANSWER.join(''));
    });

    test('a provider that never answers fails with ai_timeout and the connection is closed', async () => {
      const start = server.requests.length;
      server.replyHang();
      const result = await collectAnswer(provider.engine(server, { timeoutMs: 200 }), makeRequest());
      assert.equal(result.error?.code, 'ai_timeout');
      assert.equal(requestsSince(start).length, 1, 'a timeout is not retried');
      await within(server.requests[start]!.closedEarly, 5000, 'upstream connection close');
    });

    test('a stream that stalls mid-answer fails with ai_timeout and keeps the partial text', async () => {
      server.replyStream({ deltas: ANSWER, interrupt: { afterDeltas: 2, how: 'hang' } });
      const result = await collectAnswer(provider.engine(server, { timeoutMs: 200 }), makeRequest());
      assert.equal(result.error?.code, 'ai_timeout');
      assert.equal(result.text, ANSWER.slice(0, 2).join(''));
    });

    test('stopping mid-stream closes the upstream connection and ends quietly', async () => {
      const start = server.requests.length;
      const deltas = Array.from({ length: 40 }, (_, index) => `piece${index} `);
      server.replyStream({ deltas, delayMs: 30 });
      const controller = new AbortController();
      const result = await collectAnswer(provider.engine(server), makeRequest({ signal: controller.signal }), (count) => {
        if (count === 2) controller.abort();
      });
      assert.equal(result.error, undefined, 'a stop is not an error');
      assert.deepEqual(result.texts, deltas.slice(0, 2), 'nothing yielded after the stop');
      assert.equal(result.parts.length, 2);
      const upstream = server.requests[start]!;
      await within(upstream.closedEarly, 5000, 'upstream connection close');
      assert.equal(upstream.completed, false);
    });

    test('nothing is yielded after a stop even when more events arrived in the same network chunk', async () => {
      const deltas = Array.from({ length: 30 }, (_, index) => `fast${index} `);
      server.replyStream({ deltas, coalesce: true });
      const controller = new AbortController();
      const result = await collectAnswer(provider.engine(server), makeRequest({ signal: controller.signal }), (count) => {
        if (count === 1) controller.abort();
      });
      assert.equal(result.error, undefined);
      assert.deepEqual(result.texts, deltas.slice(0, 1));
      assert.equal(result.parts.length, 1);
    });

    test('stopping while waiting for the first token aborts the upstream request', async () => {
      const start = server.requests.length;
      server.replyHang();
      const controller = new AbortController();
      // A timeout far beyond the waits below: only the stop can end this answer.
      const answer = collectAnswer(provider.engine(server, { timeoutMs: 60_000 }), makeRequest({ signal: controller.signal }));
      await within(waitForRequest(server, start), 5000, 'upstream request');
      controller.abort();
      const result = await within(answer, 5000, 'engine return after stop');
      assert.equal(result.error, undefined);
      assert.equal(result.parts.length, 0);
      await within(server.requests[start]!.closedEarly, 5000, 'upstream connection close');
    });

    test('an already stopped request sends nothing upstream', async () => {
      const start = server.requests.length;
      const controller = new AbortController();
      controller.abort();
      const result = await collectAnswer(provider.engine(server), makeRequest({ signal: controller.signal }));
      assert.deepEqual(result.parts, []);
      assert.equal(result.error, undefined);
      assert.equal(requestsSince(start).length, 0);
    });

    test('stopping the iteration early closes the upstream connection', async () => {
      const start = server.requests.length;
      server.replyStream({ deltas: Array.from({ length: 40 }, () => 'x '), delayMs: 30 });
      for await (const part of provider.engine(server).stream(makeRequest())) {
        assert.equal(part.type, 'text');
        break;
      }
      await within(server.requests[start]!.closedEarly, 5000, 'upstream connection close');
    });
  });
}

test('an unreachable provider fails with ai_unavailable after one retry', async () => {
  const server = await startFakeOpenAiServer();
  const baseUrl = server.baseUrl;
  await server.close();
  const engine = createOpenAiCompatibleEngine({ baseUrl, model: 'm', timeoutMs: 2000, retryDelayMs: 10 });
  const result = await collectAnswer(engine, makeRequest());
  assert.equal(result.error?.code, 'ai_unavailable');
});

/** Resolves once the fake server has received request number `index`. */
async function waitForRequest(server: FakeProvider, index: number): Promise<void> {
  for (let attempt = 0; attempt < 500 && server.requests.length <= index; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
