/**
 * Picks the answer engine from the platform configuration (LLM_* environment variables). The
 * offline extractive engine is the default; the LLM engines apply each tenant's `settings.llm`
 * overrides (model, system prompt, temperature, max tokens) per request.
 */
import type { AnswerEngine } from './answer-engine.ts';
import { createAnthropicEngine } from './anthropic-engine.ts';
import { createExtractiveEngine } from './extractive-engine.ts';
import { createOpenAiCompatibleEngine } from './openai-compatible-engine.ts';

export interface EngineConfig {
  /** LLM_PROVIDER. */
  llmProvider: 'extractive' | 'openai-compatible' | 'anthropic';
  /** LLM_BASE_URL: e.g. `http://localhost:11434/v1`; defaults to the provider's public API. */
  llmBaseUrl?: string;
  /** LLM_API_KEY: optional for self-hosted OpenAI-compatible servers. */
  llmApiKey?: string;
  /** LLM_MODEL: the default model; required for the LLM providers. */
  llmModel?: string;
  /** LLM_TIMEOUT_MS: longest wait for the provider's headers and then between stream pieces. */
  llmTimeoutMs: number;
  /** Pause between the extractive engine's chunks (makes the offline engine stream visibly). */
  extractiveChunkDelayMs: number;
  /** LLM_API_KEY_HEADER: `authorization` (Bearer, default) or `api-key` (Azure-style gateways). */
  llmApiKeyHeader?: 'authorization' | 'api-key';
  /** LLM_MAX_TOKENS: default answer length limit (Anthropic: 1024 when unset). */
  llmMaxTokens?: number;
  /** LLM_PROMPT_TOKEN_BUDGET: estimated tokens the prompt may use (default 6000). */
  llmPromptTokenBudget?: number;
}

/**
 * Creates the configured engine. Throws an Error naming the variable when the configuration of an
 * LLM provider is unusable, so start-up fails loudly instead of every answer failing later.
 */
export function createAnswerEngine(config: EngineConfig): AnswerEngine {
  if (config.llmProvider === 'extractive') return createExtractiveEngine({ chunkDelayMs: config.extractiveChunkDelayMs });

  const model = config.llmModel?.trim();
  if (!model) throw new Error(`LLM_MODEL is required when LLM_PROVIDER=${config.llmProvider}`);
  if (config.llmBaseUrl !== undefined && !isHttpUrl(config.llmBaseUrl)) {
    throw new Error(`LLM_BASE_URL must be an http(s) URL such as http://localhost:11434/v1, got: ${config.llmBaseUrl}`);
  }
  if (!(Number.isFinite(config.llmTimeoutMs) && config.llmTimeoutMs > 0)) {
    throw new Error(`LLM_TIMEOUT_MS must be a positive number of milliseconds`);
  }
  const common = {
    baseUrl: config.llmBaseUrl,
    apiKey: config.llmApiKey,
    model,
    timeoutMs: config.llmTimeoutMs,
    maxTokens: config.llmMaxTokens,
    promptTokenBudget: config.llmPromptTokenBudget,
  };
  switch (config.llmProvider) {
    case 'openai-compatible':
      return createOpenAiCompatibleEngine({ ...common, apiKeyHeader: config.llmApiKeyHeader });
    case 'anthropic':
      return createAnthropicEngine(common);
    default:
      throw new Error(`LLM_PROVIDER must be extractive, openai-compatible or anthropic`);
  }
}

function isHttpUrl(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const { protocol } = new URL(value);
  return protocol === 'http:' || protocol === 'https:';
}
