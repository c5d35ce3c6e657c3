/**
 * A small table of everyday customer-service paraphrases: a visitor asks how "heavy" a product
 * is while the page gives its "weight"; asks to "send it back" while the page explains
 * "returns". Questions are widened with these words before searching, and a passage word
 * counts as matching its paraphrase when answers are composed. Deliberately short and generic:
 * it is not a thesaurus, and a tenant's own vocabulary needs no entry here.
 */

const GROUPS: readonly (readonly string[])[] = [
  ['heavy', 'weight', 'weighs', 'weigh'],
  ['cost', 'costs', 'price', 'prices', 'priced', 'expensive', 'cheap', 'fee'],
  ['hiring', 'hire', 'jobs', 'job', 'vacancies', 'vacancy', 'career', 'careers'],
  ['deliver', 'delivery', 'deliveries', 'ship', 'shipping', 'shipped'],
  ['fix', 'repair', 'repairs', 'broken'],
  ['buy', 'purchase', 'order'],
  ['phone', 'telephone', 'call'],
  ['installments', 'instalments', 'installment', 'instalment', 'financing'],
  ['uk', 'britain', 'kingdom', 'england'],
  ['email', 'e-mail', 'mail'],
  ['login', 'log', 'sign'],
  ['cancel', 'cancelling', 'canceling', 'cancellation'],
  ['colour', 'color', 'colours', 'colors'],
];

const BY_WORD = new Map<string, readonly string[]>();
for (const group of GROUPS) for (const word of group) BY_WORD.set(word, group);

/** Multi-word paraphrases, rewritten into one word that documents use. */
const PHRASES: ReadonlyArray<[RegExp, string]> = [
  [/\b(send|bring|give|take|ship)\s+(\w+\s+){0,3}back\b/i, 'return'],
  [/\bmoney back\b/i, 'refund'],
  [/\bopening hours\b|\bwhen (are|is) (you|it|the \w+) open\b/i, 'open'],
];

/** Other words for `word` (lower case), without the word itself. */
export function relatedWords(word: string): readonly string[] {
  return (BY_WORD.get(word) ?? []).filter((other) => other !== word);
}

/** Words a question implies through a multi-word paraphrase ("send it back" → "return"). */
export function phraseWords(question: string): string[] {
  return PHRASES.filter(([pattern]) => pattern.test(question)).map(([, word]) => word);
}
