/**
 * Recognises messages that are pure small talk — a greeting, thanks, a goodbye — so the
 * extractive engine answers them like a person would instead of searching the knowledge base
 * for "hello". A message that also asks something ("hi, how do I embed the widget?") is not
 * small talk.
 */

export type SmallTalkKind = 'greeting' | 'thanks' | 'goodbye';
export type SmallTalkLanguage = 'en' | 'it';

export interface SmallTalk {
  kind: SmallTalkKind;
  language: SmallTalkLanguage;
}

const PHRASES: ReadonlyArray<{ kind: SmallTalkKind; language: SmallTalkLanguage; pattern: RegExp }> = [
  { kind: 'thanks', language: 'it', pattern: /\b(grazie( mille)?|ti ringrazio)\b/ },
  { kind: 'thanks', language: 'en', pattern: /\b(thanks?( you)?( (so|very) much)?|thx|ty|cheers|much appreciated|appreciate it)\b/ },
  { kind: 'goodbye', language: 'it', pattern: /\b(arrivederci|a presto|buona giornata|buona serata)\b/ },
  { kind: 'goodbye', language: 'en', pattern: /\b(bye|goodbye|good bye|see you( later)?|have a (nice|good|great) (day|one))\b/ },
  { kind: 'greeting', language: 'it', pattern: /\b(ciao|salve|buongiorno|buonasera)\b/ },
  { kind: 'greeting', language: 'en', pattern: /\b(hi|hello|hey|hiya|howdy|greetings|good (morning|afternoon|evening)|yo)\b/ },
];

/** Words that may surround small talk without making it a question. */
const FILLER =
  /\b(there|all|everyone|again|a lot|lots|so|very|really|super|much|for (the|your) help|for that|that|this|it|was|is|that's|it's|great|helpful|perfect|ok(ay)?|nice|awesome|cool|bot|assistant|you|dear|friend|guys|folks|and|oh|ah|well|e|tutto|chiaro|molto|perfetto|ottimo|va bene)\b/g;

/**
 * Classifies a message as small talk, or returns null when it carries a real request.
 * `assistantName` is ignored as filler ("hi Ada!").
 */
export function detectSmallTalk(message: string, assistantName = ''): SmallTalk | null {
  let text = message.toLowerCase().normalize('NFKC').trim();
  if (text.length === 0 || text.length > 80 || text.includes('?')) return null;
  if (assistantName) text = text.split(assistantName.toLowerCase()).join(' ');

  let found: SmallTalk | null = null;
  for (const phrase of PHRASES) {
    if (!phrase.pattern.test(text)) continue;
    // Thanks and goodbyes win over a greeting in the same message ("hi, thanks!").
    found ??= { kind: phrase.kind, language: phrase.language };
    text = text.replace(new RegExp(phrase.pattern.source, 'g'), ' ');
  }
  if (!found) return null;
  const rest = text.replace(FILLER, ' ').replace(/[\p{P}\p{S}\s]+/gu, '');
  return rest.length === 0 ? found : null;
}

/** A natural reply to small talk in the visitor's language. */
export function smallTalkReply(talk: SmallTalk, assistantName: string): string {
  const name = assistantName.trim() || 'the assistant';
  if (talk.language === 'it') {
    switch (talk.kind) {
      case 'greeting':
        return `Ciao! Sono ${name}. Come posso aiutarti oggi?`;
      case 'thanks':
        return 'Prego! Se hai altre domande, sono qui.';
      case 'goodbye':
        return 'A presto! Torna quando vuoi.';
    }
  }
  switch (talk.kind) {
    case 'greeting':
      return `Hello! I'm ${name}. How can I help you today?`;
    case 'thanks':
      return "You're welcome! Let me know if there is anything else I can help with.";
    case 'goodbye':
      return 'Goodbye! Feel free to come back any time.';
  }
}
