/**
 * Answers through Anthropic's Messages API with streaming events (`message_start`,
 * `content_block_delta`, `message_delta`, `message_stop`, `ping`, `error`).
 */
import type { ErrorCode } from '@miptech/protocol';
import { AppError } from '../base/errors.ts';
import type { AnswerEngine } from './answer-engine.ts';
import { endpointUrl } from './endpoint-url.ts';
import { parseEventJson } from './parse-event-json.ts';
import type { ProviderEvent, ProviderProtocol } from './provider-protocol.ts';
import type { ServerSentEvent } from './sse-parser.ts';
import { createLlmEngine, type LlmEngineOptions } from './llm-engine.ts';

export interface AnthropicEngineOptions extends LlmEngineOptions {
  /**
   * API root; `/v1/messages` is appended (only `/messages` when the URL already ends in `/v1`).
   * @default 'https://api.anthropic.com'
   */
  baseUrl?: string | undefined;
  /** Sent as `x-api-key`; omitted when unset (a proxy that adds it). */
  apiKey?: string | undefined;
  /** @default '2023-06-01' */
  anthropicVersion?: string | undefined;
}

export const DEFAULT_ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
/** The Messages API requires `max_tokens`; this applies when neither platform nor tenant sets one. */
export const DEFAULT_ANTHROPIC_MAX_TOKENS = 1024;

/** Creates the engine; `name` is `anthropic`. */
export function createAnthropicEngine(options: AnthropicEngineOptions): AnswerEngine {
  return createLlmEngine(anthropicProtocol(options), options);
}

function anthropicProtocol(options: AnthropicEngineOptions): ProviderProtocol {
  const baseUrl = options.baseUrl ?? DEFAULT_ANTHROPIC_BASE_URL;
  const versioned = /\/v1\/?$/.test(new URL(baseUrl).pathname);
  const url = endpointUrl(baseUrl, versioned ? 'messages' : 'v1/messages');
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'text/event-stream',
    'anthropic-version': options.anthropicVersion ?? '2023-06-01',
  };
  if (options.apiKey) headers['x-api-key'] = options.apiKey;
  return {
    name: 'anthropic',
    buildRequest: (prompt, settings) => ({
      url,
      headers,
      body: {
        model: settings.model,
        max_tokens: settings.maxTokens ?? DEFAULT_ANTHROPIC_MAX_TOKENS,
        system: prompt.system,
        // A continuation is an assistant prefill: the model goes on from the partial answer. The
        // API rejects a final assistant turn ending in whitespace; llm-engine.ts drops the
        // whitespace the model then repeats at the start of its text.
        messages: prompt.continueFrom ? [...prompt.messages, { role: 'assistant', content: prompt.continueFrom.trimEnd() }] : prompt.messages,
        stream: true,
        ...(settings.temperature === undefined ? {} : { temperature: settings.temperature }),
      },
    }),
    readEvent: readAnthropicEvent,
  };
}

interface AnthropicUsage {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
}

interface AnthropicStreamEvent {
  type?: string;
  message?: { model?: string; usage?: AnthropicUsage };
  delta?: { type?: string; text?: string; stop_reason?: string | null };
  usage?: AnthropicUsage;
  error?: { type?: string; message?: string };
}

function readAnthropicEvent(event: ServerSentEvent): ProviderEvent[] {
  const payload = parseEventJson<AnthropicStreamEvent>(event);
  // The `event:` line and the payload's `type` agree on Anthropic; a proxy may drop either one.
  const type = event.event !== 'message' ? event.event : payload.type;
  switch (type) {
    case 'message_start': {
      const parts: ProviderEvent[] = [];
      if (payload.message?.model) parts.push({ type: 'model', model: payload.message.model });
      parts.push(...usageEvent(payload.message?.usage));
      return parts;
    }
    case 'content_block_delta':
      // Only text is shown; other block kinds (thinking, tool input) are not part of the answer.
      return payload.delta?.type === 'text_delta' && payload.delta.text ? [{ type: 'text', text: payload.delta.text }] : [];
    case 'message_delta': {
      const parts = usageEvent(payload.usage);
      if (payload.delta?.stop_reason) parts.push({ type: 'finish' });
      return parts;
    }
    case 'message_stop':
      return [{ type: 'done' }];
    case 'error': {
      const errorType = payload.error?.type ?? 'unknown_error';
      throw new AppError(codeForErrorType(errorType), undefined, {
        cause: new Error(`stream error ${errorType}: ${payload.error?.message ?? ''}`),
      });
    }
    default:
      // ping, content_block_start, content_block_stop, and event types added later.
      return [];
  }
}

/** Input tokens include the cached parts of the prompt; output tokens are cumulative. */
function usageEvent(usage: AnthropicUsage | undefined): ProviderEvent[] {
  if (!usage) return [];
  const inputs = [usage.input_tokens, usage.cache_creation_input_tokens, usage.cache_read_input_tokens].filter(
    (value): value is number => typeof value === 'number',
  );
  const event: ProviderEvent = { type: 'usage' };
  if (inputs.length > 0) event.promptTokens = inputs.reduce((total, value) => total + value, 0);
  if (typeof usage.output_tokens === 'number') event.completionTokens = usage.output_tokens;
  return [event];
}

function codeForErrorType(errorType: string): ErrorCode {
  switch (errorType) {
    case 'rate_limit_error':
      return 'ai_rate_limited';
    case 'authentication_error':
    case 'permission_error':
      return 'ai_auth_failed';
    case 'invalid_request_error':
    case 'not_found_error':
    case 'request_too_large':
      return 'ai_bad_request';
    case 'timeout_error':
      return 'ai_timeout';
    default:
      // overloaded_error, api_error and anything new: the provider side failed.
      return 'ai_unavailable';
  }
}
