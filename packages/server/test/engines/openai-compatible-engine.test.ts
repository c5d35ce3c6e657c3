import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createOpenAiCompatibleEngine } from '../../src/engines/openai-compatible-engine.ts';
import { startFakeOpenAiServer, type FakeProviderServer } from '@miptech/testing/fake-openai-server.ts';
import { collectAnswer, makeRequest, makeTenant } from './engine-fixtures.ts';

let server: FakeProviderServer;
before(async () => {
  server = await startFakeOpenAiServer();
});
after(async () => {
  await server.close();
});

const history = [
  { role: 'user' as const, content: 'Do you ship abroad?' },
  { role: 'assistant' as const, content: 'Yes, to the EU [1].' },
];

test('sends a streaming Chat Completions request with the prompt, history and bearer key', async () => {
  server.replyStream({ deltas: ['Fast [1].'] });
  const engine = createOpenAiCompatibleEngine({ baseUrl: server.baseUrl, apiKey: 'sk-test', model: 'gpt-4o-mini', timeoutMs: 5000 });
  assert.equal(engine.name, 'openai-compatible');
  const result = await collectAnswer(engine, makeRequest({ history }));
  assert.equal(result.error, undefined);

  const sent = server.requests.at(-1)!;
  assert.equal(sent.method, 'POST');
  assert.equal(sent.path, '/v1/chat/completions');
  assert.equal(sent.headers.authorization, 'Bearer sk-test');
  assert.equal(sent.headers['api-key'], undefined);
  assert.match(String(sent.headers['content-type']), /^application\/json/);
  assert.equal(sent.headers.accept, 'text/event-stream');
  const body = sent.body as Record<string, unknown> & { messages: Array<{ role: string; content: string }> };
  assert.equal(body.model, 'gpt-4o-mini');
  assert.equal(body.stream, true);
  assert.deepEqual(body.stream_options, { include_usage: true });
  assert.equal('temperature' in body, false);
  assert.equal('max_tokens' in body, false);
  assert.deepEqual(
    body.messages.map((message) => message.role),
    ['system', 'user', 'assistant', 'user'],
  );
  const system = body.messages[0]!.content;
  assert.match(system, /You are Ada/);
  assert.match(system, /\[1\] Document 1\nURL: https:\/\/acme\.test\/doc-1\nSection: Shipping > Times\nAcme ships orders within 2 business days\./);
  assert.match(system, /\[3\] Document 3/);
  assert.deepEqual(body.messages.slice(1), [...history, { role: 'user', content: 'How fast do you ship?' }]);
});

test("the tenant's model, system prompt, temperature and max tokens override the defaults", async () => {
  server.replyStream({ deltas: ['ok'], model: 'llama3.1:8b' });
  const engine = createOpenAiCompatibleEngine({ baseUrl: server.baseUrl, model: 'default-model', timeoutMs: 5000, temperature: 0.7, maxTokens: 999 });
  const tenant = makeTenant({ model: 'llama3.1:8b', systemPrompt: 'You are Bob.', temperature: 0.1, maxTokens: 256 });
  const result = await collectAnswer(engine, makeRequest({ tenant }));
  const body = server.requests.at(-1)!.body as Record<string, unknown> & { messages: Array<{ content: string }> };
  assert.equal(body.model, 'llama3.1:8b');
  assert.equal(body.temperature, 0.1);
  assert.equal(body.max_tokens, 256);
  assert.match(body.messages[0]!.content, /^You are Bob\.\n\nSources/);
  assert.equal(result.usage?.model, 'llama3.1:8b');
});

test('platform temperature and max tokens apply when the tenant sets none', async () => {
  server.replyStream({ deltas: ['ok'] });
  const engine = createOpenAiCompatibleEngine({ baseUrl: server.baseUrl, model: 'm', timeoutMs: 5000, temperature: 0.3, maxTokens: 500 });
  await collectAnswer(engine, makeRequest());
  const body = server.requests.at(-1)!.body as Record<string, unknown>;
  assert.equal(body.temperature, 0.3);
  assert.equal(body.max_tokens, 500);
});

test('Azure-style gateways: the key goes in api-key and the query string is kept', async () => {
  server.replyStream({ deltas: ['ok'] });
  const engine = createOpenAiCompatibleEngine({
    baseUrl: `${server.baseUrl}/?api-version=2024-10-21`,
    apiKey: 'azure-key',
    apiKeyHeader: 'api-key',
    model: 'gpt-4o',
    timeoutMs: 5000,
  });
  const result = await collectAnswer(engine, makeRequest());
  assert.equal(result.error, undefined);
  const sent = server.requests.at(-1)!;
  assert.equal(sent.path, '/v1/chat/completions?api-version=2024-10-21');
  assert.equal(sent.headers['api-key'], 'azure-key');
  assert.equal(sent.headers.authorization, undefined);
});

test('self-hosted servers without a key get no auth header', async () => {
  server.replyStream({ deltas: ['ok'] });
  const engine = createOpenAiCompatibleEngine({ baseUrl: server.baseUrl, model: 'qwen2.5', timeoutMs: 5000 });
  await collectAnswer(engine, makeRequest());
  const sent = server.requests.at(-1)!;
  assert.equal(sent.headers.authorization, undefined);
  assert.equal(sent.headers['api-key'], undefined);
});

test('a gateway that rejects stream_options: sent again without it at once, and never again; usage is counted', async () => {
  const start = server.requests.length;
  server.replyError(400, { message: "Unknown parameter: 'stream_options'.", type: 'invalid_request_error' });
  server.replyStream({ deltas: ['Two ', 'days.'] });
  server.replyStream({ deltas: ['Again.'] });
  const engine = createOpenAiCompatibleEngine({ baseUrl: server.baseUrl, model: 'gpt-4o-mini', timeoutMs: 5000, retryDelayMs: 10 });
  const first = await collectAnswer(engine, makeRequest());
  assert.equal(first.error, undefined);
  assert.equal(first.text, 'Two days.');
  assert.ok((first.usage?.completionTokens ?? 0) > 0, 'counted without the usage chunk');
  const second = await collectAnswer(engine, makeRequest());
  assert.equal(second.error, undefined);
  const bodies = server.requests.slice(start).map((request) => request.body as Record<string, unknown>);
  assert.deepEqual(bodies.map((body) => 'stream_options' in body), [true, false, false]);
});

test('a model that wants max_completion_tokens gets it on the second try; other models keep max_tokens', async () => {
  const start = server.requests.length;
  server.replyError(400, {
    message: "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
    type: 'invalid_request_error',
  });
  server.replyStream({ deltas: ['ok'] });
  server.replyStream({ deltas: ['ok'] });
  server.replyStream({ deltas: ['ok'] });
  const engine = createOpenAiCompatibleEngine({ baseUrl: server.baseUrl, model: 'o-model', timeoutMs: 5000, maxTokens: 300 });
  assert.equal((await collectAnswer(engine, makeRequest())).error, undefined);
  assert.equal((await collectAnswer(engine, makeRequest())).error, undefined);
  assert.equal((await collectAnswer(engine, makeRequest({ tenant: makeTenant({ model: 'llama3.1:8b' }) }))).error, undefined);
  const limits = server.requests.slice(start).map((request) => {
    const body = request.body as Record<string, unknown>;
    return [body.model, body.max_tokens, body.max_completion_tokens];
  });
  assert.deepEqual(limits, [
    ['o-model', 300, undefined],
    ['o-model', undefined, 300],
    ['o-model', undefined, 300],
    ['llama3.1:8b', 300, undefined],
  ]);
});

test('any other 400 fails with ai_bad_request without a second request', async () => {
  const start = server.requests.length;
  server.replyError(400, { message: "Invalid value for 'messages'.", type: 'invalid_request_error' });
  const engine = createOpenAiCompatibleEngine({ baseUrl: server.baseUrl, model: 'm', timeoutMs: 5000 });
  const result = await collectAnswer(engine, makeRequest());
  assert.equal(result.error?.code, 'ai_bad_request');
  assert.equal(server.requests.length - start, 1);
});

test('a server that rejects both stream_options and max_tokens is adapted to within one answer', async () => {
  const start = server.requests.length;
  server.replyError(400, { message: "Unrecognized request argument supplied: stream_options" });
  server.replyError(400, { message: "Unsupported parameter: 'max_tokens'. Use 'max_completion_tokens' instead." });
  server.replyStream({ deltas: ['ok'] });
  const engine = createOpenAiCompatibleEngine({ baseUrl: server.baseUrl, model: 'o-model', timeoutMs: 5000, maxTokens: 50 });
  const result = await collectAnswer(engine, makeRequest());
  assert.equal(result.error, undefined);
  assert.equal(result.text, 'ok');
  const last = server.requests.at(-1)!.body as Record<string, unknown>;
  assert.equal(server.requests.length - start, 3);
  assert.equal('stream_options' in last, false);
  assert.equal(last.max_completion_tokens, 50);
});
