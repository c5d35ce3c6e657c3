/**
 * `AnswerEngine.modelFor(tenant)`: the model an answer is reported with when it ends before the
 * engine said which model answered (stopped or failed answers).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAnswerEngine, type EngineConfig } from '../../src/engines/create-answer-engine.ts';
import { makeTenant } from './engine-fixtures.ts';

const base: EngineConfig = { llmProvider: 'extractive', llmTimeoutMs: 1000, extractiveChunkDelayMs: 0, llmModel: 'platform-model' };

for (const provider of ['openai-compatible', 'anthropic'] as const) {
  test(`${provider}: the tenant's model override, else the configured model`, () => {
    const engine = createAnswerEngine({ ...base, llmProvider: provider, llmBaseUrl: 'http://127.0.0.1:9/v1' });
    assert.equal(engine.modelFor?.(makeTenant()), 'platform-model');
    assert.equal(engine.modelFor?.(makeTenant({ model: 'tenant-model' })), 'tenant-model');
    assert.equal(engine.modelFor?.(makeTenant({ model: '  ' })), 'platform-model', 'a blank override is no override');
  });
}

test('extractive: always "extractive", whatever the tenant asks for', () => {
  const engine = createAnswerEngine(base);
  assert.equal(engine.modelFor?.(makeTenant()), 'extractive');
  assert.equal(engine.modelFor?.(makeTenant({ model: 'tenant-model' })), 'extractive');
});
