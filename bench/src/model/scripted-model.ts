/**
 * The scripted model both servers answer with: the first token after `firstTokenMs`, then one
 * every `tokenIntervalMs`, `tokens` in all. Token times are computed from the start (not chained
 * timeouts), so timer drift does not accumulate and any lateness is the server's own. The platform
 * targets play it through @miptech/testing's scripted engine (`scriptedEngineOptions`), the
 * bare-WebSocket baseline through `scriptedTokens`.
 */
import type { ScriptedEngineOptions } from '@miptech/testing/scripted-engine.ts';

export interface ScriptedModelOptions {
  /** @default 50 */
  firstTokenMs: number;
  /** @default 20 */
  tokenIntervalMs: number;
  /** @default 60 */
  tokens: number;
}

export const DEFAULT_MODEL: ScriptedModelOptions = Object.freeze({ firstTokenMs: 50, tokenIntervalMs: 20, tokens: 60 });

/** Word-sized tokens; varied so that consecutive chunks never repeat (clients de-duplicate repeats). */
const WORDS = ['The', ' widget', ' streams', ' answers', ' from', ' your', ' knowledge', ' base', ' in', ' small', ' chunks', '.'];

/** The text of token `index` (stable, so a run is reproducible). */
export function scriptedToken(index: number): string {
  return `${WORDS[index % WORDS.length]}${index >= WORDS.length ? index : ''}`;
}

/** The ideal duration of one answer, from request to last token. */
export function idealAnswerMs(model: ScriptedModelOptions): number {
  return model.firstTokenMs + (model.tokens - 1) * model.tokenIntervalMs;
}

/** The scripted engine's options that answer with this model (same tokens, same schedule). */
export function scriptedEngineOptions(model: ScriptedModelOptions): ScriptedEngineOptions {
  const tokens = Array.from({ length: model.tokens }, (_, index) => scriptedToken(index));
  return {
    name: 'bench-scripted',
    chunks: tokens,
    pace: { firstChunkMs: model.firstTokenMs, chunkIntervalMs: model.tokenIntervalMs },
    model: 'bench-scripted',
    promptTokens: (request) => request.question.length,
  };
}

/** Resolves after `ms`, or early (without throwing) when the signal aborts. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Yields the scripted tokens on their schedule; stops early when the signal aborts. */
export async function* scriptedTokens(model: ScriptedModelOptions, signal?: AbortSignal): AsyncGenerator<string> {
  const start = performance.now();
  for (let index = 0; index < model.tokens; index++) {
    const due = start + model.firstTokenMs + index * model.tokenIntervalMs;
    await sleep(due - performance.now(), signal);
    if (signal?.aborted) return;
    yield scriptedToken(index);
  }
}
