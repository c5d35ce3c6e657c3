/**
 * A scripted answer engine for the cluster proof: long answers streamed at a fixed pace, so that
 * restarts and kills land in the middle of them. The text is deterministic per question and every
 * chunk names its position (`<tag>.<index> `), so a lost, repeated or misplaced chunk shows in the
 * final text.
 */
import { createHash } from 'node:crypto';
import type { AnswerEngine, AnswerPart, AnswerRequest } from '../../packages/server/src/engines/answer-engine.ts';

export interface PacedAnswerEngineOptions {
  /** Chunks per answer. */
  chunkCount: number;
  /** Pause before each chunk. */
  chunkDelayMs: number;
}

export function createPacedAnswerEngine(options: PacedAnswerEngineOptions): AnswerEngine {
  return {
    name: 'paced-script',
    async *stream(request: AnswerRequest): AsyncIterable<AnswerPart> {
      const tag = createHash('sha1').update(request.question).digest('hex').slice(0, 6);
      for (let index = 0; index < options.chunkCount; index += 1) {
        await sleep(options.chunkDelayMs, request.signal);
        if (request.signal.aborted) return;
        yield { type: 'text', text: `${tag}.${index} ` };
      }
      yield { type: 'usage', model: 'paced-script', promptTokens: request.question.length, completionTokens: options.chunkCount };
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
