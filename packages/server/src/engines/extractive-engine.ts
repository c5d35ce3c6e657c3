/**
 * The offline default answer engine: no model, no network. Small talk gets a friendly reply;
 * a question gets an answer stitched together from the retrieved passages; no usable passage
 * gets an honest "I don't know". Text is streamed word by word so clients see the same
 * streaming behaviour as with a real model.
 */
import type { Source } from '@miptech/protocol';
import { CannotContinueError, type AnswerEngine, type AnswerPart, type AnswerRequest } from './answer-engine.ts';
import { composeExtractiveAnswer, type ComposeOptions } from './compose-extractive-answer.ts';
import { estimateTokens } from './estimate-tokens.ts';
import { detectSmallTalk, smallTalkReply } from './small-talk.ts';

export interface ExtractiveEngineOptions {
  /**
   * Pause before each streamed word, in milliseconds, so the answer appears to be typed.
   * Stopping the answer cuts the pause short. @default 0
   */
  chunkDelayMs?: number;
  /** Tuning of how answers are composed (mainly for the evaluation). */
  compose?: ComposeOptions;
}

/** The model name reported in usage and stored with each answer. */
export const EXTRACTIVE_MODEL = 'extractive';

/** Splits text into word-sized chunks, each a word with the whitespace before it; they concatenate back to the text. */
export function splitIntoWordChunks(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

function fallbackAnswer(request: AnswerRequest): string {
  const company = request.tenant.name?.trim() || 'the company';
  if (request.tenant.settings.language === 'it') {
    return `Mi dispiace, non ho trovato una risposta a questa domanda nelle informazioni che ho a disposizione. Prova a riformularla con altre parole, oppure contatta direttamente ${company}.`;
  }
  return `I'm sorry, I don't know the answer to that — I couldn't find it in the information I have. Could you try rephrasing the question? Otherwise, please contact ${company} directly.`;
}

/** Resolves after `ms`, or at once when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Creates the extractive engine. When the request's signal aborts, the stream ends at once
 * without further parts (the chat service stores what was streamed as stopped).
 */
export function createExtractiveEngine(options: ExtractiveEngineOptions = {}): AnswerEngine {
  const chunkDelayMs = Math.max(0, options.chunkDelayMs ?? 0);

  async function* stream(request: AnswerRequest): AsyncGenerator<AnswerPart> {
    const assistantName = request.tenant.settings.assistantName;
    const smallTalk = detectSmallTalk(request.question, assistantName);
    let text: string;
    let sources: Source[] = [];
    let contextText = '';
    if (smallTalk) {
      text = smallTalkReply(smallTalk, assistantName);
    } else {
      const answer = composeExtractiveAnswer(request.question, request.passages, options.compose);
      if (answer) {
        text = answer.text;
        sources = answer.used.map(({ passage, snippet }) => ({
          title: passage.title,
          url: passage.url,
          snippet,
          document_id: passage.documentId,
          score: passage.score,
        }));
        contextText = answer.used.map(({ passage }) => passage.text).join('\n\n');
      } else {
        text = fallbackAnswer(request);
      }
    }

    // Continuing an answer a dead node began: the same question and passages give the same text,
    // so what is left of it is what follows the text already sent. Anything else (the knowledge
    // changed in between) cannot be continued without the visitor seeing two different answers.
    let remaining = text;
    if (request.continueFrom !== undefined) {
      if (!text.startsWith(request.continueFrom)) throw new CannotContinueError('the regenerated answer does not begin with the text already sent');
      remaining = text.slice(request.continueFrom.length);
    }
    for (const chunk of splitIntoWordChunks(remaining)) {
      await pause(chunkDelayMs, request.signal);
      if (request.signal.aborted) return;
      yield { type: 'text', text: chunk };
    }
    if (request.signal.aborted) return;
    yield { type: 'sources', sources };
    yield {
      type: 'usage',
      model: EXTRACTIVE_MODEL,
      // What the engine read: the question and the passages it used (it ignores the history).
      promptTokens: estimateTokens(`${request.question}\n${contextText}`),
      completionTokens: estimateTokens(text),
    };
  }

  return { name: EXTRACTIVE_MODEL, modelFor: () => EXTRACTIVE_MODEL, canContinue: true, stream };
}
