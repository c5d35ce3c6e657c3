/**
 * The answer engine shared by the LLM providers: builds the prompt, calls the provider with fetch,
 * parses its SSE reply through the provider's protocol, and turns every failure into an `ai_*`
 * AppError. One retry happens before the first token for retryable failures; once text has been
 * yielded a failure is final (text is never yielded twice). A user stop aborts the upstream
 * request at once and ends the stream quietly.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, isAppError } from '../base/errors.ts';
import type { AnswerEngine, AnswerPart, AnswerRequest } from './answer-engine.ts';
import { citedSources } from './cited-sources.ts';
import { buildPrompt } from './prompt-builder.ts';
import type { GenerationSettings, ProviderProtocol } from './provider-protocol.ts';
import { errorForStatus, parseRetryAfter, readErrorDetail } from './provider-errors.ts';
import { parseServerSentEvents } from './sse-parser.ts';
import { estimateTokens } from './estimate-tokens.ts';
import type { TenantRecord } from '../store/store.ts';

/** Options shared by both LLM engines. */
export interface LlmEngineOptions {
  /** Default model; a tenant's `settings.llm.model` overrides it. */
  model: string;
  /**
   * Longest wait for the provider's response headers, and then for each further piece of the
   * stream, in milliseconds; exceeding it fails the answer with `ai_timeout`.
   */
  timeoutMs: number;
  /** Default temperature; the tenant's overrides it. Omitted from the request when unset. */
  temperature?: number | undefined;
  /** Default answer length limit in tokens; the tenant's overrides it. */
  maxTokens?: number | undefined;
  /**
   * Estimated tokens the prompt may use (see PromptOptions.tokenBudget).
   * @default 6000
   */
  promptTokenBudget?: number | undefined;
  /**
   * Wait before the retry when the provider gave no Retry-After, in milliseconds.
   * @default 500
   */
  retryDelayMs?: number | undefined;
  /**
   * Longest Retry-After the engine waits for before its single retry, in milliseconds; a longer one
   * fails at once with `ai_rate_limited` and `retryAfter` (the visitor should not wait on a spinner).
   * @default 5000
   */
  maxRetryDelayMs?: number | undefined;
  /** The fetch implementation (tests and proxies). @default globalThis.fetch */
  fetch?: typeof fetch | undefined;
}

const DEFAULT_RETRY_DELAY_MS = 500;
const DEFAULT_MAX_RETRY_DELAY_MS = 5000;
/** Request rewrites per answer after the provider rejected an option (see ProviderProtocol.adaptToRejection). */
const MAX_ADAPTATIONS = 3;

/** An engine that answers through the provider spoken by `protocol`; its name is the protocol's. */
export function createLlmEngine(protocol: ProviderProtocol, options: LlmEngineOptions): AnswerEngine {
  return {
    name: protocol.name,
    modelFor: (tenant) => modelFor(tenant, options),
    // Both protocols send the partial answer for the model to go on from (see prompt-builder.ts).
    canContinue: true,
    stream: (request) => streamLlmAnswer(protocol, options, request),
  };
}

/** The model asked for: the tenant's override, else the platform default. */
function modelFor(tenant: TenantRecord, options: LlmEngineOptions): string {
  return tenant.settings.llm.model?.trim() || options.model;
}

async function* streamLlmAnswer(
  protocol: ProviderProtocol,
  options: LlmEngineOptions,
  request: AnswerRequest,
): AsyncGenerator<AnswerPart, void, undefined> {
  const { signal } = request;
  if (signal.aborted) return;
  const tenantLlm = request.tenant.settings.llm;
  const settings: GenerationSettings = {
    model: modelFor(request.tenant, options),
    temperature: tenantLlm.temperature ?? options.temperature,
    maxTokens: tenantLlm.maxTokens ?? options.maxTokens,
  };
  const prompt = buildPrompt(request, {
    systemPrompt: tenantLlm.systemPrompt,
    tokenBudget: options.promptTokenBudget,
  });
  let call = protocol.buildRequest(prompt, settings);
  let adaptations = 0;
  const doFetch = options.fetch ?? globalThis.fetch;

  let answer = '';
  let model = settings.model;
  let promptTokens: number | undefined;
  let completionTokens: number | undefined;

  for (let attempt = 1; ; attempt += 1) {
    const upstream = new UpstreamAttempt(signal, options.timeoutMs);
    try {
      const response = await doFetch(call.url, {
        method: 'POST',
        headers: call.headers,
        body: JSON.stringify(call.body),
        signal: upstream.signal,
      });
      if (!response.ok) {
        const detail = await readErrorDetail(response);
        // A request option this server does not know is not a failure of the answer: the protocol
        // adapts and the corrected request does not count as the retry. Each adaptation drops an
        // option for good, so this is bounded; the cap only guards against a protocol that is not.
        if (adaptations < MAX_ADAPTATIONS && protocol.adaptToRejection?.(response.status, detail, settings)) {
          adaptations += 1;
          call = protocol.buildRequest(prompt, settings);
          attempt -= 1;
          continue;
        }
        throw errorForStatus(response.status, detail, parseRetryAfter(response.headers));
      }
      if (response.body === null) throw new AppError('ai_unavailable', undefined, { cause: new Error('empty body') });

      let finished = false;
      let done = false;
      const body = response.body.pipeThrough(upstream.progressWatch());
      for await (const event of parseServerSentEvents(body)) {
        for (const part of protocol.readEvent(event)) {
          if (part.type === 'text') {
            // Events parsed from the same network chunk can still be queued after a stop.
            if (signal.aborted) return;
            // A continuation's prefix was sent without its trailing whitespace (Anthropic requires
            // it); the model's text then starts with that whitespace again.
            const text = answer.length === 0 && /\s$/.test(request.continueFrom ?? '') ? part.text.trimStart() : part.text;
            if (text.length === 0) continue;
            answer += text;
            // The timeout measures the provider, not a consumer that is slow to take the text.
            upstream.pauseTimer();
            yield { type: 'text', text };
            upstream.restartTimer();
          } else if (part.type === 'model') model = part.model;
          else if (part.type === 'usage') {
            promptTokens = part.promptTokens ?? promptTokens;
            completionTokens = part.completionTokens ?? completionTokens;
          } else if (part.type === 'finish') finished = true;
          else done = true;
        }
        if (done) break;
      }
      if (!done && !finished) {
        throw new AppError('ai_unavailable', undefined, { cause: new Error('stream ended before the answer was complete') });
      }
      break;
    } catch (error) {
      const failure = upstream.explain(error);
      upstream.dispose();
      if (signal.aborted) return;
      const delay = answer.length === 0 && attempt === 1 ? retryDelay(failure, options) : null;
      if (delay === null) throw failure;
      try {
        await sleep(delay, undefined, { signal });
      } catch {
        return; // stopped while waiting to retry
      }
    } finally {
      upstream.dispose();
    }
  }
  if (signal.aborted) return;

  // A continued answer's citations include those in the part already sent.
  yield { type: 'sources', sources: citedSources(`${request.continueFrom ?? ''}${answer}`, prompt.passages) };
  yield {
    type: 'usage',
    model,
    promptTokens: promptTokens ?? prompt.estimatedTokens,
    completionTokens: completionTokens ?? estimateTokens(answer),
  };
}

/**
 * Milliseconds to wait before the one retry, or null when `failure` is not worth retrying.
 * Timeouts are not retried: the visitor has already waited the full timeout once.
 */
function retryDelay(failure: AppError, options: LlmEngineOptions): number | null {
  if (failure.code !== 'ai_unavailable' && failure.code !== 'ai_rate_limited') return null;
  const maxDelay = options.maxRetryDelayMs ?? DEFAULT_MAX_RETRY_DELAY_MS;
  const retryAfter = failure.retryAfter;
  if (retryAfter === undefined) return options.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  const delay = retryAfter * 1000;
  return delay <= maxDelay ? delay : null;
}

/**
 * One upstream request: its own AbortController fed by the visitor's signal and by an inactivity
 * timer that restarts whenever bytes arrive.
 */
class UpstreamAttempt {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timedOut = false;
  private readonly onUserAbort = (): void => this.controller.abort(this.userSignal.reason);

  constructor(
    private readonly userSignal: AbortSignal,
    private readonly timeoutMs: number,
  ) {
    userSignal.addEventListener('abort', this.onUserAbort, { once: true });
    this.restartTimer();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** A pass-through stream that restarts the inactivity timer on every chunk. */
  progressWatch(): TransformStream<Uint8Array, Uint8Array> {
    return new TransformStream({
      transform: (chunk, controller) => {
        this.restartTimer();
        controller.enqueue(chunk);
      },
    });
  }

  /** The AppError for whatever ended this attempt. */
  explain(error: unknown): AppError {
    if (this.timedOut) return new AppError('ai_timeout', undefined, { cause: error });
    if (isAppError(error)) return error;
    return new AppError('ai_unavailable', undefined, { cause: error });
  }

  pauseTimer(): void {
    clearTimeout(this.timer);
  }

  /** Idempotent: also runs before the wait for a retry, so the old attempt's timer cannot fire then. */
  dispose(): void {
    clearTimeout(this.timer);
    this.userSignal.removeEventListener('abort', this.onUserAbort);
    // Closes the connection if the reply was not read to the end (early exit, error, consumer gone).
    this.controller.abort();
  }

  restartTimer(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new Error(`no response from the provider within ${this.timeoutMs} ms`));
    }, this.timeoutMs);
  }
}
