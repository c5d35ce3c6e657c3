/**
 * A local stand-in for an OpenAI-compatible Chat Completions endpoint that streams the real wire
 * format byte for byte: `data: {chunk}\n\n` events (a role chunk, content chunks, a finish chunk),
 * the final usage chunk with empty `choices` when the request asked for it with
 * `stream_options: {include_usage: true}`, then `data: [DONE]`. Errors come as OpenAI's
 * `{"error": {...}}` body. Reusable by the engine tests, the benchmark and the end-to-end tests.
 */
import {
  startFakeProvider,
  type FakeProviderServer,
  type FakeStreamScript,
  type FakeWireFormat,
} from './fake-llm-server.ts';

export type { FakeProviderServer, FakeStreamScript } from './fake-llm-server.ts';

/** Starts the fake; its `baseUrl` ends in `/v1` like a real OpenAI-compatible server's. */
export function startFakeOpenAiServer(): Promise<FakeProviderServer> {
  return startFakeProvider(openAiWireFormat);
}

const openAiWireFormat: FakeWireFormat = {
  path: '/v1/chat/completions',
  baseUrl: (origin) => `${origin}/v1`,
  streamHeaders: {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-request-id': 'req_fake',
  },
  streamFrames: (script, request) => openAiStreamFrames(script, asksForUsage(request.body)),
  errorReply: (status, options) => ({
    headers: { 'content-type': 'application/json; charset=utf-8', ...options.headers },
    body: `${JSON.stringify(
      {
        error: {
          message: options.message ?? `fake error ${status}`,
          type: options.type ?? (status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error'),
          param: null,
          code: status === 401 ? 'invalid_api_key' : null,
        },
      },
      null,
      2,
    )}\n`,
  }),
};

/** The exact bytes OpenAI sends for `script`; the usage chunk only when `includeUsage`. */
export function openAiStreamFrames(script: FakeStreamScript, includeUsage = true): string[] {
  const model = script.model ?? 'gpt-4o-mini-2024-07-18';
  const base = { id: 'chatcmpl-fake123', object: 'chat.completion.chunk', created: 1_700_000_000, model, system_fingerprint: 'fp_fake' };
  const event = (payload: unknown): string => `data: ${JSON.stringify(payload)}\n\n`;
  const chunk = (delta: Record<string, unknown>, finishReason: string | null): string =>
    event({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }], usage: null });

  const frames = [chunk({ role: 'assistant', content: '', refusal: null }, null)];
  const cut = script.interrupt?.afterDeltas ?? Infinity;
  for (const [index, text] of script.deltas.entries()) {
    if (index === cut) break;
    frames.push(chunk({ content: text }, null));
  }
  if (script.interrupt?.how === 'error') {
    frames.push(
      event({
        error: {
          message: 'The server had an error while processing your request. Sorry about that!',
          type: 'server_error',
          param: null,
          code: null,
        },
      }),
    );
    return frames;
  }
  if (script.interrupt) return frames;
  frames.push(chunk({}, 'stop'));
  const usage = script.usage === undefined ? { promptTokens: 42, completionTokens: script.deltas.length } : script.usage;
  if (usage !== null && includeUsage) {
    frames.push(
      event({
        ...base,
        choices: [],
        usage: {
          prompt_tokens: usage.promptTokens,
          completion_tokens: usage.completionTokens,
          total_tokens: usage.promptTokens + usage.completionTokens,
          prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
          completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
        },
      }),
    );
  }
  frames.push('data: [DONE]\n\n');
  return frames;
}

function asksForUsage(body: unknown): boolean {
  const options = (body as { stream_options?: { include_usage?: unknown } } | null)?.stream_options;
  return options?.include_usage === true;
}
