import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAnswerEngine, type EngineConfig } from '../../src/engines/create-answer-engine.ts';
import { startFakeAnthropicServer } from '@miptech/testing/fake-anthropic-server.ts';
import { startFakeOpenAiServer } from '@miptech/testing/fake-openai-server.ts';
import { collectAnswer, makeRequest } from './engine-fixtures.ts';

const base: EngineConfig = { llmProvider: 'extractive', llmTimeoutMs: 5000, extractiveChunkDelayMs: 0 };

test('extractive is the engine when no LLM provider is configured', async () => {
  const engine = createAnswerEngine(base);
  assert.equal(engine.name, 'extractive');
  const result = await collectAnswer(engine, makeRequest());
  assert.equal(result.error, undefined);
  assert.ok(result.text.length > 0);
  assert.equal(result.usage?.model, 'extractive');
});

test('openai-compatible: configured from the LLM_* settings', async () => {
  const server = await startFakeOpenAiServer();
  try {
    server.replyStream({ deltas: ['Two days [1].'] });
    const engine = createAnswerEngine({
      ...base,
      llmProvider: 'openai-compatible',
      llmBaseUrl: server.baseUrl,
      llmApiKey: 'gateway-key',
      llmApiKeyHeader: 'api-key',
      llmModel: 'gpt-4o-mini',
      llmMaxTokens: 400,
    });
    assert.equal(engine.name, 'openai-compatible');
    const result = await collectAnswer(engine, makeRequest());
    assert.equal(result.text, 'Two days [1].');
    const sent = server.requests[0]!;
    assert.equal(sent.headers['api-key'], 'gateway-key');
    assert.equal((sent.body as { model: string }).model, 'gpt-4o-mini');
    assert.equal((sent.body as { max_tokens: number }).max_tokens, 400);
  } finally {
    await server.close();
  }
});

test('anthropic: configured from the LLM_* settings', async () => {
  const server = await startFakeAnthropicServer();
  try {
    server.replyStream({ deltas: ['Two days.'] });
    const engine = createAnswerEngine({ ...base, llmProvider: 'anthropic', llmBaseUrl: server.baseUrl, llmApiKey: 'k', llmModel: 'claude-x' });
    assert.equal(engine.name, 'anthropic');
    const result = await collectAnswer(engine, makeRequest());
    assert.equal(result.text, 'Two days.');
    assert.equal(server.requests[0]!.headers['x-api-key'], 'k');
  } finally {
    await server.close();
  }
});

test('unusable LLM settings fail at start-up, naming the variable', () => {
  assert.throws(() => createAnswerEngine({ ...base, llmProvider: 'anthropic' }), /LLM_MODEL/);
  assert.throws(() => createAnswerEngine({ ...base, llmProvider: 'openai-compatible', llmModel: '  ' }), /LLM_MODEL/);
  assert.throws(
    () => createAnswerEngine({ ...base, llmProvider: 'openai-compatible', llmModel: 'm', llmBaseUrl: 'localhost:11434' }),
    /LLM_BASE_URL/,
  );
  assert.throws(() => createAnswerEngine({ ...base, llmProvider: 'openai-compatible', llmModel: 'm', llmTimeoutMs: 0 }), /LLM_TIMEOUT_MS/);
  assert.throws(() => createAnswerEngine({ ...base, llmProvider: 'gemini' as EngineConfig['llmProvider'], llmModel: 'm' }), /LLM_PROVIDER/);
});
