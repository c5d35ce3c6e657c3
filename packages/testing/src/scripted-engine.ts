/**
 * The one scripted AnswerEngine of the tests, the browser tests, the cluster proof and the bench:
 * it streams scripted chunks instead of asking a model, so everything around the engine (storing,
 * retrieval, frames, events) runs as in production. It records every request and honours the
 * abort signal like a real provider (stops at once).
 *
 * Timing, one of:
 * - `delayMs`: a pause before each chunk (a test that wants to watch an answer grow, or to stop it
 *   half-way);
 * - `pace`: the first chunk `firstChunkMs` after the request, then one every `chunkIntervalMs`,
 *   each due time computed from the start so timer lateness does not add up (the bench's model:
 *   any lateness measured is the server's own).
 *
 * Scripts for particular uses live next to it: numberedChunks (the cluster proof), the widget's
 * answers (widget-answer-script.ts), the bench's tokens (bench/src/model/scripted-model.ts).
 */
import { createHash } from 'node:crypto';
import type { ErrorCode, Source } from '@miptech/protocol';
import type { AnswerEngine, AnswerPart, AnswerRequest } from '@miptech/server';
import { AppError } from '@miptech/server';

export interface ScriptedEngineOptions {
  /** The engine's name (reported as the model when no usage part is sent). @default 'scripted' */
  name?: string;
  /** Chunks to stream, or a function of the request. @default DEFAULT_SCRIPT */
  chunks?: readonly string[] | ((request: AnswerRequest) => readonly string[]);
  /** Pause before each chunk, in ms. @default 0 */
  delayMs?: number;
  /** Chunks on a schedule from the start of the answer instead of `delayMs` pauses. */
  pace?: { firstChunkMs: number; chunkIntervalMs: number };
  /** Resolves when streaming may start (lets a test hold an answer in flight). */
  gate?: Promise<unknown>;
  /** Throw AppError(failWith) after this many chunks. */
  failAfter?: number;
  /** @default 'ai_unavailable' */
  failWith?: ErrorCode;
  /** Sources reported after the text; without them the platform cites the retrieved passages. */
  sources?: readonly Source[] | ((request: AnswerRequest) => readonly Source[]);
  /** Send a usage part at the end. @default true */
  usage?: boolean;
  /** The usage part's model name. @default 'scripted-model' */
  model?: string;
  /** The usage part's prompt tokens. @default 10 */
  promptTokens?: (request: AnswerRequest) => number;
}

export interface ScriptedEngine extends AnswerEngine {
  /** Every request received, in order. */
  readonly requests: AnswerRequest[];
  /** The question of every request, in order. */
  readonly questions: string[];
  /** The chat of every request, in order. */
  readonly chatIds: string[];
}

export const DEFAULT_SCRIPT = ['Hello', ' from', ' the', ' scripted', ' engine.'];

/** Resolves after `ms`, or at once (without throwing) when the signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, Math.max(0, ms));
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export function createScriptedEngine(options: ScriptedEngineOptions = {}): ScriptedEngine {
  const requests: AnswerRequest[] = [];
  const model = options.model ?? 'scripted-model';
  const fail = () => new AppError(options.failWith ?? 'ai_unavailable');
  return {
    name: options.name ?? 'scripted',
    requests,
    get questions() {
      return requests.map((request) => request.question);
    },
    get chatIds() {
      return requests.map((request) => request.chatId);
    },
    async *stream(request: AnswerRequest): AsyncIterable<AnswerPart> {
      requests.push(request);
      if (options.gate) {
        await Promise.race([options.gate, new Promise((resolve) => request.signal.addEventListener('abort', resolve, { once: true }))]);
      }
      const chunks = typeof options.chunks === 'function' ? options.chunks(request) : (options.chunks ?? DEFAULT_SCRIPT);
      const start = performance.now();
      let sent = 0;
      for (const chunk of chunks) {
        if (options.failAfter !== undefined && sent >= options.failAfter) throw fail();
        if (options.pace) {
          // Always through a timer, even when late, as a real stream's chunks arrive.
          await sleep(start + options.pace.firstChunkMs + sent * options.pace.chunkIntervalMs - performance.now(), request.signal);
        } else if ((options.delayMs ?? 0) > 0) {
          await sleep(options.delayMs ?? 0, request.signal);
        }
        if (request.signal.aborted) return;
        yield { type: 'text', text: chunk };
        sent += 1;
      }
      if (options.failAfter !== undefined && sent >= options.failAfter) throw fail();
      if (options.sources) {
        const sources = typeof options.sources === 'function' ? options.sources(request) : options.sources;
        yield { type: 'sources', sources: [...sources] };
      }
      if (options.usage ?? true) {
        yield { type: 'usage', model, promptTokens: options.promptTokens?.(request) ?? 10, completionTokens: sent };
      }
    },
  };
}

/**
 * A long answer whose every chunk names its position (`<tag>.<index> `, the tag from the question),
 * so a lost, repeated or misplaced chunk shows in the final text (the cluster proof).
 */
export function numberedChunks(question: string, chunkCount: number): string[] {
  const tag = createHash('sha1').update(question).digest('hex').slice(0, 6);
  return Array.from({ length: chunkCount }, (_, index) => `${tag}.${index} `);
}

/** A gate a test opens by hand: `const gate = manualGate(); … gate.open()`. */
export function manualGate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
