/**
 * Answers through any OpenAI-compatible Chat Completions endpoint with `stream: true`: OpenAI,
 * Azure-style gateways, vLLM, Ollama, llama.cpp server, LM Studio.
 */
import type { AnswerEngine, ConversationTurn } from './answer-engine.ts';
import { CONTINUE_INSTRUCTION, type BuiltPrompt } from './prompt-builder.ts';
import { endpointUrl } from './endpoint-url.ts';
import { parseEventJson } from './parse-event-json.ts';
import type { ProviderEvent, ProviderProtocol } from './provider-protocol.ts';
import { errorForStatus } from './provider-errors.ts';
import type { ServerSentEvent } from './sse-parser.ts';
import { createLlmEngine, type LlmEngineOptions } from './llm-engine.ts';

export interface OpenAiCompatibleEngineOptions extends LlmEngineOptions {
  /**
   * Base URL up to and including the API version, e.g. `http://localhost:11434/v1`; a query string
   * (Azure's `?api-version=…`) is kept.
   * @default 'https://api.openai.com/v1'
   */
  baseUrl?: string | undefined;
  /** Sent as a bearer token (or in `api-key`); local servers usually need none. */
  apiKey?: string | undefined;
  /**
   * Where the key goes: `authorization` (`Bearer …`, OpenAI and most servers) or `api-key`
   * (Azure OpenAI and gateways that mimic it).
   * @default 'authorization'
   */
  apiKeyHeader?: 'authorization' | 'api-key' | undefined;
}

export const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** Creates the engine; `name` is `openai-compatible`. */
export function createOpenAiCompatibleEngine(options: OpenAiCompatibleEngineOptions): AnswerEngine {
  return createLlmEngine(openAiProtocol(options), options);
}

function openAiProtocol(options: OpenAiCompatibleEngineOptions): ProviderProtocol {
  const url = endpointUrl(options.baseUrl ?? DEFAULT_OPENAI_BASE_URL, 'chat/completions');
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream' };
  if (options.apiKey) {
    if (options.apiKeyHeader === 'api-key') headers['api-key'] = options.apiKey;
    else headers.authorization = `Bearer ${options.apiKey}`;
  }
  // What this server and its models turned out not to accept (learned from their 400 answers):
  // some gateways and older Azure API versions reject `stream_options`; OpenAI's reasoning models
  // reject `max_tokens` and want `max_completion_tokens`, while most self-hosted servers know only
  // `max_tokens`, so that stays the default and is switched per model.
  let streamOptions = true;
  const completionTokenModels = new Set<string>();
  return {
    name: 'openai-compatible',
    buildRequest: (prompt, settings) => ({
      url,
      headers,
      body: {
        model: settings.model,
        messages: [{ role: 'system', content: prompt.system }, ...prompt.messages, ...continuation(prompt)],
        stream: true,
        ...(streamOptions ? { stream_options: { include_usage: true } } : {}),
        ...(settings.temperature === undefined ? {} : { temperature: settings.temperature }),
        ...(settings.maxTokens === undefined
          ? {}
          : completionTokenModels.has(settings.model)
            ? { max_completion_tokens: settings.maxTokens }
            : { max_tokens: settings.maxTokens }),
      },
    }),
    readEvent: readChunk,
    adaptToRejection(status, detail, settings) {
      if (status !== 400) return false;
      if (streamOptions && /stream_options/.test(detail)) {
        streamOptions = false;
        return true;
      }
      if (settings.maxTokens !== undefined && !completionTokenModels.has(settings.model) && /max_completion_tokens/.test(detail)) {
        completionTokenModels.add(settings.model);
        return true;
      }
      return false;
    },
  };
}

interface ChatCompletionChunk {
  model?: string;
  choices?: Array<{ delta?: { content?: string | null }; finish_reason?: string | null }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string; type?: string; code?: string | number | null };
}

function readChunk(event: ServerSentEvent): ProviderEvent[] {
  if (event.data === '[DONE]') return [{ type: 'done' }];
  const chunk = parseEventJson<ChatCompletionChunk>(event);
  if (chunk.error !== undefined) {
    // Some servers (vLLM, gateways) put an HTTP-like status in `code`.
    const status = typeof chunk.error.code === 'number' ? chunk.error.code : 500;
    throw errorForStatus(status, `stream error: ${JSON.stringify(chunk.error).slice(0, 500)}`);
  }
  const parts: ProviderEvent[] = [];
  if (typeof chunk.model === 'string' && chunk.model !== '') parts.push({ type: 'model', model: chunk.model });
  const choice = chunk.choices?.[0];
  const content = choice?.delta?.content;
  if (typeof content === 'string' && content !== '') parts.push({ type: 'text', text: content });
  if (typeof choice?.finish_reason === 'string') parts.push({ type: 'finish' });
  const usage = chunk.usage;
  if (usage) {
    parts.push({
      type: 'usage',
      ...(typeof usage.prompt_tokens === 'number' ? { promptTokens: usage.prompt_tokens } : {}),
      ...(typeof usage.completion_tokens === 'number' ? { completionTokens: usage.completion_tokens } : {}),
    });
  }
  return parts;
}

/**
 * A continuation as the OpenAI-compatible servers all understand it: the partial answer as the
 * assistant's turn, then the instruction to go on. A trailing assistant turn alone is continued
 * only by some servers (vLLM's continue_final_message, DeepSeek's prefix); others start a new answer.
 */
function continuation(prompt: BuiltPrompt): ConversationTurn[] {
  if (!prompt.continueFrom) return [];
  return [
    { role: 'assistant', content: prompt.continueFrom },
    { role: 'user', content: CONTINUE_INSTRUCTION },
  ];
}
