import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createAnthropicEngine } from '../../src/engines/anthropic-engine.ts';
import { startFakeAnthropicServer, type FakeProviderServer } from '@miptech/testing/fake-anthropic-server.ts';
import { collectAnswer, makeRequest, makeTenant } from './engine-fixtures.ts';

let server: FakeProviderServer;
before(async () => {
  server = await startFakeAnthropicServer();
});
after(async () => {
  await server.close();
});

test('sends a streaming Messages request with system prompt, history, key and version headers', async () => {
  server.replyStream({ deltas: ['Within ', '2 days [1].'], usage: { promptTokens: 500, completionTokens: 9 } });
  const engine = createAnthropicEngine({ baseUrl: server.baseUrl, apiKey: 'sk-ant-test', model: 'claude-sonnet-4-0', timeoutMs: 5000 });
  assert.equal(engine.name, 'anthropic');
  const history = [
    { role: 'user' as const, content: 'Hello' },
    { role: 'assistant' as const, content: 'Hi! How can I help?' },
  ];
  const result = await collectAnswer(engine, makeRequest({ history }));
  assert.equal(result.error, undefined);
  assert.equal(result.text, 'Within 2 days [1].');
  assert.deepEqual(result.usage, { type: 'usage', model: 'claude-sonnet-4-20250514', promptTokens: 500, completionTokens: 9 });
  assert.deepEqual(result.sources?.map((source) => source.document_id), ['doc-1']);

  const sent = server.requests.at(-1)!;
  assert.equal(sent.path, '/v1/messages');
  assert.equal(sent.headers['x-api-key'], 'sk-ant-test');
  assert.equal(sent.headers['anthropic-version'], '2023-06-01');
  assert.equal(sent.headers.authorization, undefined);
  const body = sent.body as Record<string, unknown>;
  assert.equal(body.model, 'claude-sonnet-4-0');
  assert.equal(body.stream, true);
  assert.equal(body.max_tokens, 1024, 'required by the API: a default is sent');
  assert.equal('temperature' in body, false);
  assert.match(String(body.system), /^You are Ada[\s\S]*\[2\] Document 2/);
  assert.deepEqual(body.messages, [...history, { role: 'user', content: 'How fast do you ship?' }]);
});

test("the tenant's overrides apply, and a base URL ending in /v1 is not doubled", async () => {
  server.replyStream({ deltas: ['ok'] });
  const engine = createAnthropicEngine({ baseUrl: `${server.baseUrl}/v1/`, model: 'claude-default', timeoutMs: 5000, maxTokens: 2048 });
  const tenant = makeTenant({ model: 'claude-haiku', systemPrompt: 'Answer like a pirate.', temperature: 0.2, maxTokens: 300 });
  await collectAnswer(engine, makeRequest({ tenant }));
  const sent = server.requests.at(-1)!;
  assert.equal(sent.path, '/v1/messages');
  assert.equal(sent.headers['x-api-key'], undefined);
  const body = sent.body as Record<string, unknown>;
  assert.equal(body.model, 'claude-haiku');
  assert.equal(body.max_tokens, 300);
  assert.equal(body.temperature, 0.2);
  assert.match(String(body.system), /^Answer like a pirate\./);
});
