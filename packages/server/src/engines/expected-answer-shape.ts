/**
 * What kind of text answers a question: "how much" wants an amount of money, "how long" a
 * duration, "when is … open" opening hours. The extractive engine prefers sentences that
 * contain that shape — the sentence that says "costs €3,499" over the one that merely names
 * the product.
 */

const AMOUNT = /[€$£]\s?\d|\d\s?(?:€|euros?|eur|usd|dollars?|pounds?)\b|\bfree\b/i;
const DURATION = /\b\d+(?:[.,]\d+)?\s*(?:(?:-|–|to)\s*\d+\s*)?(?:working\s+|business\s+)?(?:seconds?|minutes?|hours?|days?|weeks?|months?|years?)\b/i;
const FREQUENCY = /\b(?:every|each|once|twice)\b|\bper\s+(?:day|week|month|year)\b/i;
const MEASURE = /\b\d+(?:[.,]\d+)?\s*(?:kg|g|km|m|cm|mm|wh|kwh|nm|w|v|a|km\/h|mph|%)(?=\W|$)/i;
const COUNT = /\b\d+\b|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|twelve|dozens?|hundreds?)\b/i;
const CLOCK = /\b\d{1,2}[:.]\d{2}\b|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekdays?|weekends?)\b|\b\d{1,2}\s?(?:am|pm)\b/i;
const CONTACT = /\+?\d[\d\s()-]{7,}\d|[\w.+-]+@[\w-]+\.[\w.-]+/;
const YEAR = /\b(?:1[89]|20)\d{2}\b/;
const STEPS = /^\s*\d{1,2}[.)]\s/m;
/** Three or more things in a row ("iDEAL, Bancontact, PayPal or bank transfer"), or a bullet list. */
const ENUMERATION = /(?:[^,.;:\n]{2,40},\s+){2,}[^,.;:\n]{2,40}\s(?:and|or|e|o)\s|^\s*[-*+]\s/m;

const RULES: ReadonlyArray<{ question: RegExp; answer: RegExp }> = [
  { question: /\bhow much\b|\bcosts?\b|\bprice\b|\bpriced\b|\bexpensive\b|\bcheap\b|\bfees?\b|\bquanto costa\b|\bprezzo\b/i, answer: AMOUNT },
  { question: /\bhow long\b|\bhow soon\b|\bwhen will\b|\bhow quickly\b|\bquanto tempo\b|\bquanti giorni\b/i, answer: DURATION },
  { question: /\bhow often\b|\bhow frequently\b|\bogni quanto\b/i, answer: FREQUENCY },
  { question: /\bhow often\b/i, answer: MEASURE },
  { question: /\bhow (?:heavy|far|big|wide|fast|tall|strong|powerful)\b|\bweigh|\brange\b|\btall\b/i, answer: MEASURE },
  { question: /\bhow many\b|\bquant[ie]\b/i, answer: COUNT },
  { question: /\bwhen\b.*\bopen\b|\bopening hours\b|\bwhat time\b|\borari?o?\b/i, answer: CLOCK },
  { question: /\bphone\b|\bcall\b|\bnumber\b|\be-?mail\b|\bcontact\b|\breach\b|\btelefono\b/i, answer: CONTACT },
  { question: /\bhow (?:do|can|should|would) (?:i|we|you)\b|\bhow to\b|\bsteps?\b|\bcome (?:faccio|posso)\b/i, answer: STEPS },
  { question: /\bwhich\b|\bwhat (?:kinds?|types?|sorts?|options)\b|\bquali\b/i, answer: ENUMERATION },
  { question: /\bwhen was\b|\bwhat year\b|\bsince when\b|\bfounded\b|\bestablished\b/i, answer: YEAR },
];

/** The text shapes that would answer `question`; empty when the question does not ask for one. */
export function expectedAnswerShapes(question: string): RegExp[] {
  return RULES.filter((rule) => rule.question.test(question)).map((rule) => rule.answer);
}
