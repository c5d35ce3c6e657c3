/**
 * What differs between LLM providers: how the streaming request is written and how each SSE event
 * of the reply is read. Everything else (prompt, timeouts, retry, abort, sources, usage) is shared
 * in llm-engine.ts.
 */
import type { BuiltPrompt } from './prompt-builder.ts';
import type { ServerSentEvent } from './sse-parser.ts';

/** The generation settings of one request: platform defaults with the tenant's overrides applied. */
export interface GenerationSettings {
  model: string;
  temperature: number | undefined;
  maxTokens: number | undefined;
}

export interface ProviderRequest {
  url: string;
  headers: Record<string, string>;
  body: unknown;
}

/** A normalised piece of a provider's stream. */
export type ProviderEvent =
  | { type: 'text'; text: string }
  /** The model that actually answers (providers resolve aliases to a dated version). */
  | { type: 'model'; model: string }
  /** Token counts so far; later values replace earlier ones. */
  | { type: 'usage'; promptTokens?: number; completionTokens?: number }
  /** The answer is complete (a stop reason arrived); a stream ending after this is not an error. */
  | { type: 'finish' }
  /** The stream is over: stop reading. */
  | { type: 'done' };

export interface ProviderProtocol {
  readonly name: string;
  buildRequest(prompt: BuiltPrompt, settings: GenerationSettings): ProviderRequest;
  /** Reads one event; throws an AppError when the provider reports an error in the stream. */
  readEvent(event: ServerSentEvent): ProviderEvent[];
  /**
   * The provider refused a request with HTTP `status` and error body `detail` before any text.
   * Returns true when the protocol now writes such requests differently (it dropped or renamed an
   * option this server or model does not accept), so the request is rebuilt and sent once more.
   */
  adaptToRejection?(status: number, detail: string, settings: GenerationSettings): boolean;
}
