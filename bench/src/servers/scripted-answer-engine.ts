/**
 * The scripted model behind the platform's own AnswerEngine seam: the chat service still stores
 * the messages, retrieves knowledge and turns parts into frames exactly as in production; only
 * the text comes from the script instead of a provider.
 */
import type { AnswerEngine, AnswerPart, AnswerRequest } from '@miptech/server';
import { scriptedTokens, type ScriptedModelOptions } from '../model/scripted-model.ts';

export class ScriptedAnswerEngine implements AnswerEngine {
  readonly name = 'bench-scripted';

  constructor(private readonly model: ScriptedModelOptions) {}

  async *stream(request: AnswerRequest): AsyncIterable<AnswerPart> {
    let tokens = 0;
    for await (const text of scriptedTokens(this.model, request.signal)) {
      tokens++;
      yield { type: 'text', text };
    }
    yield { type: 'usage', model: this.name, promptTokens: request.question.length, completionTokens: tokens };
  }
}
