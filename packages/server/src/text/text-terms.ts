/**
 * Turning text into comparable search terms: lower-cased words without stop words, lightly
 * stemmed so "reconnects", "reconnecting" and "reconnect" meet. Used to build retrieval queries
 * from questions and to score sentences when the extractive engine composes an answer, so both
 * sides agree on what a "matching word" is.
 */
import { phraseWords, relatedWords } from './related-words.ts';

/** English and Italian function words that carry no topic (the widget ships both languages). */
const STOP_WORDS: ReadonlySet<string> = new Set(
  (
    'a about above after again against all am an and any are as at be because been before being below between both but by ' +
    'can could did do does doing done down during each few for from further had has have having he her here hers herself him ' +
    'himself his how i if in into is it its itself just me more most my myself no nor not now of off on once only or other ' +
    'our ours ourselves out over own same she should so some such than that the their theirs them themselves then there these ' +
    'they this those through to too under until up very was we were what when where which while who whom why will with would ' +
    'you your yours yourself yourselves also get got may might must shall us let lets use using used want need needs ' +
    'please tell know explain show give one ok okay thing things way something anything hi hello hey thanks thank ' +
    // Words that ask for a kind of answer (a duration, an amount) rather than name a topic.
    'much many long often soon ' +
    // Italian words that are also English words (come, dove) are left out.
    'il lo la le gli un una uno di da del della dei delle che chi cosa quando perché perche per con su tra fra ' +
    'non mi ti si ci vi ne è e ed o al alla ai agli alle dal dalla nel nella sono sei siamo ho hai ha abbiamo posso puoi può'
  ).split(/\s+/),
);

/** Words kept even though they are short or look like stop words: they are the topic of many questions. */
const KEEP_SHORT: ReadonlySet<string> = new Set(['id', 'js', 'ws', 'ui', 'ai', 'db', 'ip', 'os', 'pk', 'sk', 'api', 'url', 'jwt', 'sdk']);

/**
 * Light suffix stripping (a small subset of Porter's rules). Over-stemming is harmless here
 * because both the question and the passages go through the same function.
 */
export function stemTerm(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  let stem = word;
  if (stem.endsWith("'s")) stem = stem.slice(0, -2);
  if (stem.endsWith('ies') && stem.length > 4) stem = `${stem.slice(0, -3)}y`;
  else if (stem.endsWith('sses')) stem = stem.slice(0, -2);
  else if (stem.endsWith('s') && !stem.endsWith('ss') && !stem.endsWith('us') && !stem.endsWith('is')) stem = stem.slice(0, -1);
  for (const suffix of ['ing', 'ed']) {
    const rest = stem.slice(0, -suffix.length);
    // "embed" is not "emb" + "ed"; "added" is "add" + "ed".
    const longEnough = suffix === 'ing' ? rest.length >= 3 : rest.length >= 4 || (rest.length === 3 && rest.at(-1) === rest.at(-2));
    if (stem.endsWith(suffix) && longEnough) {
      stem = stem.slice(0, -suffix.length);
      // "embedding" → "embedd" → "embed"; "running" → "run".
      if (stem.length > 3 && stem.at(-1) === stem.at(-2) && !/[lsz]/.test(stem.at(-1) ?? '')) stem = stem.slice(0, -1);
      break;
    }
  }
  if (stem.endsWith('ly') && stem.length > 5) stem = stem.slice(0, -2);
  if (stem.endsWith('e') && stem.length > 4) stem = stem.slice(0, -1);
  return stem;
}

/**
 * Splits text into raw lower-case words. Identifiers such as `session_id`, `widget.js` or
 * `MIPTechChat.open()` also yield their parts, so "session id" matches `session_id`.
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  for (const match of text.toLowerCase().normalize('NFKC').matchAll(/[\p{L}\p{N}]+(?:[._'-][\p{L}\p{N}]+)*/gu)) {
    const word = match[0];
    if (/[._-]/.test(word)) {
      words.push(...word.split(/[._-]+/).filter(Boolean));
      words.push(word);
    } else {
      words.push(word.replace(/'.*$/, ''));
    }
  }
  return words;
}

/** Whether a raw word is worth matching on (not a stop word, not a lone letter). */
export function isContentWord(word: string): boolean {
  if (STOP_WORDS.has(word)) return false;
  if (KEEP_SHORT.has(word)) return true;
  return word.length >= 2 || /\d/.test(word);
}

/** The stemmed content terms of a text, in order, duplicates kept. */
export function extractTerms(text: string): string[] {
  return splitWords(text).filter(isContentWord).map(stemTerm);
}

/** One thing a question asks about: its stemmed term and the stems of its paraphrases. */
export interface QuestionTerm {
  term: string;
  alternatives: string[];
}

/**
 * The distinct content terms of a question, each with the paraphrases that also match it
 * ("heavy" also matches "weight"), plus words implied by phrases ("send it back" → "return").
 */
export function questionTerms(text: string): QuestionTerm[] {
  const byTerm = new Map<string, Set<string>>();
  for (const word of [...splitWords(text).filter(isContentWord), ...phraseWords(text)]) {
    const term = stemTerm(word);
    const alternatives = byTerm.get(term) ?? new Set<string>();
    for (const related of relatedWords(word)) alternatives.add(stemTerm(related));
    alternatives.delete(term);
    byTerm.set(term, alternatives);
  }
  return [...byTerm].map(([term, alternatives]) => ({ term, alternatives: [...alternatives] }));
}

/**
 * The words a full-text query is built from: the question's distinct content words, unstemmed
 * and in order, then the paraphrases that widen it.
 */
export function questionKeywords(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (word: string) => {
    if (seen.has(word)) return;
    seen.add(word);
    out.push(word);
  };
  const words = [...splitWords(text).filter(isContentWord), ...phraseWords(text)];
  for (const word of words) add(word);
  for (const word of words) for (const related of relatedWords(word)) add(related);
  return out;
}
