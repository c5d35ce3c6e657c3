/**
 * Builds the provider-neutral prompt for one answer: the tenant's instructions with the retrieved
 * passages numbered as sources, the recent conversation that fits the token budget, and the
 * question. Both LLM engines send exactly what this returns, so the model's `[n]` citations can be
 * mapped back to `passages[n - 1]`.
 */
import type { Passage } from '../store/knowledge-index.ts';
import type { AnswerRequest, ConversationTurn } from './answer-engine.ts';
import { estimateTokens } from './estimate-tokens.ts';

export interface PromptOptions {
  /** Replaces the default instructions (the tenant's `settings.llm.systemPrompt`). */
  systemPrompt?: string | undefined;
  /**
   * Estimated tokens the whole prompt may use. History is trimmed first (oldest turns first), then
   * the lowest-ranked passages; the best passage and the question are always kept.
   * @default 6000
   */
  tokenBudget?: number | undefined;
  /**
   * Most earlier turns to send even when more would fit.
   * @default 20
   */
  maxHistoryTurns?: number | undefined;
}

export interface BuiltPrompt {
  /** Instructions followed by the numbered sources. */
  system: string;
  /** Recent history then the question, alternating roles, starting and ending with `user`. */
  messages: ConversationTurn[];
  /** The passages in the prompt; source `[n]` is `passages[n - 1]`. */
  passages: Passage[];
  /** Estimated prompt tokens, used for usage when the provider reports none. */
  estimatedTokens: number;
  /**
   * The beginning of the answer already sent (AnswerRequest.continueFrom): each provider protocol
   * adds it after `messages` as the answer to continue, in the form its API understands.
   */
  continueFrom?: string;
}

/** Asked of providers without an assistant prefill after the partial answer (OpenAI-compatible). */
export const CONTINUE_INSTRUCTION =
  'Your previous answer was cut off. Continue it exactly where it stopped, starting with the very next word: do not repeat any of it and do not mention the interruption.';

export const DEFAULT_PROMPT_TOKEN_BUDGET = 6000;
/** Chat APIs wrap every message in a few tokens of role and separator markup. */
const TOKENS_PER_MESSAGE = 4;
const DEFAULT_MAX_HISTORY_TURNS = 20;

/** The instructions used when the tenant has not written its own. */
export function defaultSystemPrompt(assistantName: string): string {
  return [
    `You are ${assistantName}, the assistant on this company's website.`,
    'Answer the visitor using only the numbered sources below.',
    'Cite every source you use by its number in square brackets, like [1] or [2].',
    "If the sources do not contain the answer, say that you don't know and suggest contacting the company; never make up facts, prices, links or policies.",
    "Be concise and answer in the visitor's language.",
  ].join(' ');
}

/** Builds the prompt for `request` within the token budget. */
export function buildPrompt(
  request: Pick<AnswerRequest, 'tenant' | 'question' | 'history' | 'passages' | 'continueFrom'>,
  options: PromptOptions = {},
): BuiltPrompt {
  const budget = options.tokenBudget ?? DEFAULT_PROMPT_TOKEN_BUDGET;
  const maxTurns = options.maxHistoryTurns ?? DEFAULT_MAX_HISTORY_TURNS;
  const instructions = options.systemPrompt?.trim() || defaultSystemPrompt(request.tenant.settings.assistantName);
  const question = request.question.trim();

  const passages = [...request.passages];
  const questionTokens = estimateTokens(question) + TOKENS_PER_MESSAGE;
  const instructionTokens = estimateTokens(instructions) + TOKENS_PER_MESSAGE;
  const sourceTokens = passages.map((passage, index) => estimateTokens(formatSource(passage, index + 1)));
  const sum = (values: number[]): number => values.reduce((total, value) => total + value, 0);
  while (passages.length > 1 && instructionTokens + sum(sourceTokens) + questionTokens > budget) {
    passages.pop();
    sourceTokens.pop();
  }
  const system = `${instructions}\n\n${formatSources(passages)}`;
  let used = estimateTokens(system) + TOKENS_PER_MESSAGE + questionTokens;

  // Newest turns first, until the budget or the turn limit is reached.
  const kept: ConversationTurn[] = [];
  const history = normaliseTurns(request.history);
  for (let index = history.length - 1; index >= 0 && kept.length < maxTurns; index -= 1) {
    const turn = history[index]!;
    const cost = estimateTokens(turn.content) + TOKENS_PER_MESSAGE;
    if (used + cost > budget) break;
    used += cost;
    kept.unshift(turn);
  }
  // Providers want the conversation to open with the visitor; a leading answer without its
  // question would also mislead the model.
  while (kept[0]?.role === 'assistant') {
    used -= estimateTokens(kept[0].content) + TOKENS_PER_MESSAGE;
    kept.shift();
  }

  const messages = normaliseTurns([...kept, { role: 'user', content: question }]);
  if (request.continueFrom) {
    // Always sent whole (the model must see where it stopped), beyond the budget if need be.
    used += estimateTokens(request.continueFrom) + estimateTokens(CONTINUE_INSTRUCTION) + 2 * TOKENS_PER_MESSAGE;
    return { system, messages, passages, estimatedTokens: used, continueFrom: request.continueFrom };
  }
  return { system, messages, passages, estimatedTokens: used };
}

/**
 * Drops empty turns (a stopped answer with no text) and merges consecutive turns of the same role
 * (a question whose answer failed), which Anthropic rejects and other models handle poorly.
 */
function normaliseTurns(turns: ConversationTurn[]): ConversationTurn[] {
  const result: ConversationTurn[] = [];
  for (const turn of turns) {
    const content = turn.content.trim();
    if (content.length === 0) continue;
    const previous = result[result.length - 1];
    if (previous?.role === turn.role) previous.content = `${previous.content}\n\n${content}`;
    else result.push({ role: turn.role, content });
  }
  return result;
}

function formatSources(passages: Passage[]): string {
  if (passages.length === 0) return 'Sources: none were found for this question.';
  const body = passages.map((passage, index) => formatSource(passage, index + 1)).join('\n\n');
  return `Sources (cite them as [n]):\n\n${body}`;
}

function formatSource(passage: Passage, number: number): string {
  const header = [`[${number}] ${passage.title}`];
  if (passage.url !== null) header.push(`URL: ${passage.url}`);
  if (passage.heading !== null && passage.heading !== '') header.push(`Section: ${passage.heading}`);
  return `${header.join('\n')}\n${passage.text.trim()}`;
}
