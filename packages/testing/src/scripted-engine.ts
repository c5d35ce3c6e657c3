/**
 * A deterministic AnswerEngine for tests: streams scripted chunks with an optional delay, can
 * wait on a gate, fail after N chunks, and records every request. It honours the abort signal
 * like a real provider (stops at once).
 */
import type { ErrorCode } from '@miptech/protocol';
import type { AnswerEngine, AnswerPart, AnswerRequest } from '@miptech/server';
import { AppError } from '@miptech/server';

export interface ScriptedEngineOptions {
  /** Chunks to stream, or a function of the request. @default ['Hello', ' from', ' the', ' scripted', ' engine.'] */
  chunks?: string[] | ((request: AnswerRequest) => string[]);
  /** Pause before each chunk, in ms. @default 0 */
  delayMs?: number;
  /** Resolves when streaming may start (lets a test hold an answer in flight). */
  gate?: Promise<unknown>;
  /** Throw AppError(failWith) after this many chunks. */
  failAfter?: number;
  /** @default 'ai_unavailable' */
  failWith?: ErrorCode;
  /** Report usage with this model name. @default 'scripted-model' */
  model?: string;
}

export interface ScriptedEngine extends AnswerEngine {
  /** Every request received, in order. */
  readonly requests: AnswerRequest[];
}

export const DEFAULT_SCRIPT = ['Hello', ' from', ' the', ' scripted', ' engine.'];

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
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
  return {
    name: 'scripted',
    requests,
    async *stream(request: AnswerRequest): AsyncIterable<AnswerPart> {
      requests.push(request);
      if (options.gate) {
        await Promise.race([options.gate, new Promise((resolve) => request.signal.addEventListener('abort', resolve, { once: true }))]);
      }
      const chunks = typeof options.chunks === 'function' ? options.chunks(request) : (options.chunks ?? DEFAULT_SCRIPT);
      let sent = 0;
      for (const chunk of chunks) {
        if (options.failAfter !== undefined && sent >= options.failAfter) throw new AppError(options.failWith ?? 'ai_unavailable');
        await sleep(options.delayMs ?? 0, request.signal);
        if (request.signal.aborted) return;
        yield { type: 'text', text: chunk };
        sent += 1;
      }
      if (options.failAfter !== undefined && sent >= options.failAfter) throw new AppError(options.failWith ?? 'ai_unavailable');
      yield { type: 'usage', model, promptTokens: 10, completionTokens: sent };
    },
  };
}

/** A gate a test opens by hand: `const gate = manualGate(); … gate.open()`. */
export function manualGate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}
