/**
 * An AnswerEngine for browser tests: streams a Markdown answer word by word with a small delay (so
 * a test can watch it grow) and reports sources. A question containing "hostile" gets an answer full
 * of HTML and unsafe links, to prove the widget renders them as inert text.
 */
import type { AnswerEngine, AnswerPart, AnswerRequest } from '@miptech/server';

export const FRIENDLY_ANSWER =
  'You embed the widget with **one script tag**:\n\n1. Copy the tag from the demo page.\n2. Paste it before `</body>`.\n\nSee the [widget guide](https://docs.example.com/widget) for options.';

export const HOSTILE_ANSWER =
  'Look: <img src=x onerror="window.__xss = \'answer-img\'"> and <script>window.__xss = \'answer-script\'</script> ' +
  '[bad link](javascript:window.__xss=\'answer-link\') and [good link](https://docs.example.com/safe) and <b>not bold</b>.';

export const TEST_SOURCES = [
  { title: 'Embedding the chat widget', url: 'https://docs.example.com/widget', snippet: 'One script tag puts the assistant on any website.' },
  { title: 'Getting started', url: null, snippet: 'npm install && npm start' },
];

export interface TestAnswerEngine extends AnswerEngine {
  /** Every question answered, in order. */
  readonly questions: string[];
  /** The chat of each question, in the same order. */
  readonly chatIds: string[];
}

export function createTestAnswerEngine(options: { delayMs?: number } = {}): TestAnswerEngine {
  const questions: string[] = [];
  const chatIds: string[] = [];
  const delayMs = options.delayMs ?? 40;
  return {
    name: 'widget-test',
    questions,
    chatIds,
    async *stream(request: AnswerRequest): AsyncIterable<AnswerPart> {
      questions.push(request.question);
      chatIds.push(request.chatId);
      const answer = /hostile/i.test(request.question) ? HOSTILE_ANSWER : FRIENDLY_ANSWER;
      for (const word of answer.split(/(?<=\s)/)) {
        await sleep(delayMs, request.signal);
        if (request.signal.aborted) return;
        yield { type: 'text', text: word };
      }
      yield { type: 'sources', sources: TEST_SOURCES };
    },
  };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
