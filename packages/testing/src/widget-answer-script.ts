/**
 * The script of the browser tests: a Markdown answer streamed word by word with a small delay (so a
 * test can watch it grow), with sources. A question containing "hostile" gets an answer full of
 * HTML and unsafe links, to prove the widget renders them as inert text.
 */
import { createScriptedEngine, type ScriptedEngine } from './scripted-engine.ts';

export const FRIENDLY_ANSWER =
  'You embed the widget with **one script tag**:\n\n1. Copy the tag from the demo page.\n2. Paste it before `</body>`.\n\nSee the [widget guide](https://docs.example.com/widget) for options.';

export const HOSTILE_ANSWER =
  'Look: <img src=x onerror="window.__xss = \'answer-img\'"> and <script>window.__xss = \'answer-script\'</script> ' +
  '[bad link](javascript:window.__xss=\'answer-link\') and [good link](https://docs.example.com/safe) and <b>not bold</b>.';

export const TEST_SOURCES = [
  { title: 'Embedding the chat widget', url: 'https://docs.example.com/widget', snippet: 'One script tag puts the assistant on any website.' },
  { title: 'Getting started', url: null, snippet: 'npm install && npm start' },
];

/** The scripted engine answering with the widget script; `questions` and `chatIds` record what was asked. */
export function createTestAnswerEngine(options: { delayMs?: number } = {}): ScriptedEngine {
  return createScriptedEngine({
    name: 'widget-test',
    chunks: (request) => (/hostile/i.test(request.question) ? HOSTILE_ANSWER : FRIENDLY_ANSWER).split(/(?<=\s)/),
    delayMs: options.delayMs ?? 40,
    sources: TEST_SOURCES,
    usage: false,
  });
}
