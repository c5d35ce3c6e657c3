/**
 * Engines asked to continue an answer a dead node began (AnswerRequest.continueFrom,
 * chat/continue-answer.ts): the LLM engines send the partial answer in the form each provider's
 * API understands and yield only what follows; the extractive engine regenerates its answer and
 * yields what follows the partial text, or refuses when it no longer begins with it.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CannotContinueError } from '../../src/engines/answer-engine.ts';
import { createAnthropicEngine } from '../../src/engines/anthropic-engine.ts';
import { createOpenAiCompatibleEngine } from '../../src/engines/openai-compatible-engine.ts';
import { createExtractiveEngine } from '../../src/engines/extractive-engine.ts';
import { CONTINUE_INSTRUCTION } from '../../src/engines/prompt-builder.ts';
import { startFakeAnthropicServer } from '@miptech/testing/fake-anthropic-server.ts';
import { startFakeOpenAiServer } from '@miptech/testing/fake-openai-server.ts';
import type { FakeProviderServer } from '@miptech/testing/fake-llm-server.ts';
import { collectAnswer, makeRequest, PASSAGES } from './engine-fixtures.ts';

describe('continuing with the LLM engines', () => {
  let anthropic: FakeProviderServer;
  let openai: FakeProviderServer;
  before(async () => {
    anthropic = await startFakeAnthropicServer();
    openai = await startFakeOpenAiServer();
  });
  after(async () => {
    await Promise.all([anthropic.close(), openai.close()]);
  });

  test('Anthropic: the partial answer is the assistant prefill (without trailing whitespace); only the rest is yielded', async () => {
    anthropic.replyStream({ deltas: [' 2 business', ' days [1].'] });
    const engine = createAnthropicEngine({ baseUrl: anthropic.baseUrl, model: 'claude-sonnet-4-0', timeoutMs: 5000 });
    assert.equal(engine.canContinue, true);
    const result = await collectAnswer(engine, makeRequest({ continueFrom: 'Acme ships within ' }));
    assert.equal(result.error, undefined);
    assert.equal(result.text, '2 business days [1].', 'the whitespace the prefill lost is not doubled');
    const body = anthropic.requests.at(-1)!.body as { messages: unknown[] };
    assert.deepEqual(body.messages.slice(-2), [
      { role: 'user', content: 'How fast do you ship?' },
      { role: 'assistant', content: 'Acme ships within' },
    ]);
  });

  test('OpenAI-compatible: the partial answer as the assistant turn, then the instruction to go on; citations of the partial text count', async () => {
    openai.replyStream({ deltas: ['for 30 days.'] });
    const engine = createOpenAiCompatibleEngine({ baseUrl: openai.baseUrl, model: 'gpt-test', timeoutMs: 5000 });
    assert.equal(engine.canContinue, true);
    const result = await collectAnswer(engine, makeRequest({ continueFrom: 'Orders ship in 2 days [1]. Returns are accepted ' }));
    assert.equal(result.error, undefined);
    assert.equal(result.text, 'for 30 days.');
    assert.deepEqual(result.sources?.map((source) => source.document_id), ['doc-1'], 'the [1] of the partial text is cited');
    const body = openai.requests.at(-1)!.body as { messages: unknown[] };
    assert.deepEqual(body.messages.slice(-3), [
      { role: 'user', content: 'How fast do you ship?' },
      { role: 'assistant', content: 'Orders ship in 2 days [1]. Returns are accepted ' },
      { role: 'user', content: CONTINUE_INSTRUCTION },
    ]);
  });

  test('without continueFrom nothing changes: the question is the last message', async () => {
    openai.replyStream({ deltas: ['ok'] });
    const engine = createOpenAiCompatibleEngine({ baseUrl: openai.baseUrl, model: 'gpt-test', timeoutMs: 5000 });
    await collectAnswer(engine, makeRequest());
    const body = openai.requests.at(-1)!.body as { messages: Array<{ role: string }> };
    assert.equal(body.messages.at(-1)?.role, 'user');
    assert.equal(body.messages.filter((message) => message.role === 'assistant').length, 0);
  });
});

describe('continuing with the extractive engine', () => {
  const engine = createExtractiveEngine();
  const request = makeRequest({ passages: PASSAGES });

  test('yields exactly what follows the text already sent', async () => {
    const whole = await collectAnswer(engine, request);
    assert.ok(whole.text.length > 20);
    const cut = whole.text.indexOf(' ', 12);
    const rest = await collectAnswer(engine, { ...request, continueFrom: whole.text.slice(0, cut) });
    assert.equal(rest.error, undefined);
    assert.equal(whole.text.slice(0, cut) + rest.text, whole.text);
    assert.deepEqual(rest.sources, whole.sources);
  });

  test('refuses when its answer does not begin with the text already sent', async () => {
    const yielded: string[] = [];
    await assert.rejects(async () => {
      for await (const part of engine.stream({ ...request, continueFrom: 'Something it would never say' })) if (part.type === 'text') yielded.push(part.text);
    }, CannotContinueError);
    assert.deepEqual(yielded, [], 'nothing yielded');
  });
});
