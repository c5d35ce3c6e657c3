/**
 * The answer-engine seam. The offline extractive engine is the default; LLM providers
 * (OpenAI-compatible, Anthropic) implement the same interface. Engines stream normalised parts;
 * the chat service turns them into frames, stores the result and handles errors.
 */
import type { Source } from '@miptech/protocol';
import type { Passage } from '../store/knowledge-index.ts';
import type { TenantRecord } from '../store/store.ts';

export interface ConversationTurn {
  role: 'user' | 'assistant';
  content: string;
}

export interface AnswerRequest {
  tenant: TenantRecord;
  chatId: string;
  question: string;
  /** Earlier turns of the conversation, oldest first, without the question itself. */
  history: ConversationTurn[];
  /** Retrieved knowledge, best first. */
  passages: Passage[];
  /** Aborted when the visitor stops the answer or the server gives up on it. */
  signal: AbortSignal;
  /**
   * The text of this answer already sent to the visitor by a node that died while generating it
   * (see chat/continue-answer.ts). The engine yields only what follows it, never the text again;
   * only engines with `canContinue` are given it.
   */
  continueFrom?: string;
}

export type AnswerPart =
  | { type: 'text'; text: string }
  /** The sources the answer used; when never emitted, the chat service cites every passage given. */
  | { type: 'sources'; sources: Source[] }
  | { type: 'usage'; model: string; promptTokens: number | null; completionTokens: number | null };

export interface AnswerEngine {
  readonly name: string;
  /**
   * Optional: the model this engine asks for this tenant (its override or the platform default).
   * The chat service reports it as `llm_model` when an answer ends before the engine yielded a
   * `usage` part (stopped, failed); without it the engine's name is reported.
   */
  modelFor?(tenant: TenantRecord): string;
  /**
   * True when the engine honours `AnswerRequest.continueFrom`. Without it, an answer whose node
   * died ends as interrupted instead of being continued by another node.
   */
  readonly canContinue?: boolean;
  /**
   * Streams one answer. Throws an AppError with an `ai_*` code on provider failure (the chat
   * service keeps any text already streamed and sends the terminal event).
   */
  stream(request: AnswerRequest): AsyncIterable<AnswerPart>;
}

/**
 * Thrown by an engine asked to continue an answer it cannot continue faithfully (e.g. the text it
 * would produce now does not begin with the text already sent). The answer then ends as
 * interrupted with the text already sent, as when no continuation is attempted.
 */
export class CannotContinueError extends Error {
  constructor(reason: string) {
    super(`cannot continue the answer: ${reason}`);
    this.name = 'CannotContinueError';
  }
}
