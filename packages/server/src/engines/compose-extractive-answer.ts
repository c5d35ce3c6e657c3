/**
 * Builds a short Markdown answer out of retrieved passages without a language model: the
 * passages are cut into sentences, list/code/table blocks; each piece is scored against the
 * question; the best pieces (and the lines that introduce a code sample or list they need) are
 * stitched back together in document order. Lists and code are kept whole because cutting them
 * loses the answer ("add this tag:" without the tag is useless).
 */
import type { Passage } from '../store/knowledge-index.ts';
import { parseMarkdownBlocks } from '../knowledge/markdown-blocks.ts';
import { splitSentences } from '../knowledge/split-sentences.ts';
import { extractTerms, questionTerms, type QuestionTerm } from '../text/text-terms.ts';
import { expectedAnswerShapes } from './expected-answer-shape.ts';

export interface ComposeOptions {
  /** How many of the best passages are considered. @default 4 */
  maxPassages?: number;
  /** Soft limit on the words of the answer (code and lists may exceed it by one block). @default 130 */
  wordBudget?: number;
  /** At most this many passages contribute to one answer. @default 3 */
  maxSources?: number;
  /** Below this share of the question's term weight matched by the best piece, there is no answer. @default 0.4 */
  minCoverage?: number;
}

export interface UsedPassage {
  passage: Passage;
  /** The text taken from the passage, flattened to one short line. */
  snippet: string;
}

export interface ComposedAnswer {
  text: string;
  used: UsedPassage[];
}

type UnitKind = 'sentence' | 'list' | 'code' | 'table' | 'quote';

interface Unit {
  passageRank: number;
  /** Position inside the passage, for document order and neighbours. */
  order: number;
  /** Sentences of one paragraph share a paragraph id and are joined with spaces. */
  paragraph: number;
  kind: UnitKind;
  text: string;
  terms: Set<string>;
  words: number;
  score: number;
  /** Weighted share of the question's terms in the unit; heading terms count half. */
  coverage: number;
  /** The same with heading terms counted in full: decides whether there is an answer at all. */
  relevance: number;
}

const PRONOUN_START = /^(it|this|that|these|those|they|then|otherwise|there|here|so|also|both)\b/i;
const MAX_LIST_ITEMS = 10;
/** A paragraph up to this many words is kept whole around the best sentence. */
const PARAGRAPH_WORDS = 80;
const MAX_CODE_LINES = 30;

function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

function unitsOf(passage: Passage, passageRank: number): Unit[] {
  const units: Unit[] = [];
  let order = 0;
  let paragraph = 0;
  const push = (kind: UnitKind, text: string, paragraphId: number) => {
    units.push({
      passageRank,
      order: order++,
      paragraph: paragraphId,
      kind,
      text,
      terms: new Set(extractTerms(text)),
      words: countWords(text),
      score: 0,
      coverage: 0,
      relevance: 0,
    });
  };
  for (const block of parseMarkdownBlocks(passage.text)) {
    paragraph += 1;
    switch (block.kind) {
      case 'heading':
        break;
      case 'paragraph':
        for (const sentence of splitSentences(block.text)) push('sentence', sentence, paragraph);
        break;
      case 'list':
        push('list', block.text, paragraph);
        break;
      case 'code': {
        const lines = block.text.split('\n');
        const text =
          lines.length > MAX_CODE_LINES ? [...lines.slice(0, MAX_CODE_LINES - 1), lines[0]?.match(/^\s*(`+|~+)/)?.[1] ?? '```'].join('\n') : block.text;
        push('code', text, paragraph);
        break;
      }
      case 'table':
        push('table', block.text, paragraph);
        break;
      case 'quote':
        push('quote', block.text.replace(/^\s*>\s?/gm, ''), paragraph);
        break;
    }
  }
  return units;
}

/** Keeps only the items of a long list that mention the question (all of a short one). */
function trimList(text: string, questionTerms: ReadonlySet<string>): string {
  const items = parseMarkdownBlocks(text).flatMap((block) => (block.kind === 'list' ? block.items : []));
  if (items.length <= MAX_LIST_ITEMS) return text;
  const matching = items.filter((item) => extractTerms(item).some((term) => questionTerms.has(term)));
  return (matching.length > 0 ? matching : items).slice(0, MAX_LIST_ITEMS).join('\n');
}

function snippetOf(texts: string[]): string {
  const flat = texts
    .map((text) => text.replace(/```[^\n]*\n?/g, ' ').replace(/^\s*([-*+]|\d+[.)])\s+/gm, ''))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
  if (flat.length <= 220) return flat;
  const cut = flat.slice(0, 220);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), 160))}…`;
}

/**
 * How well a unit has the shape of the answer asked for ("how much" → an amount): best when one
 * clause holds both a question word and the shape ("Frame and fork: 10 years"), less when the
 * shape is elsewhere in the unit, least when it is only in the unit's short paragraph.
 */
function shapeScore(unit: Unit, block: readonly Unit[], shapes: readonly RegExp[], mentionsQuestion: (terms: ReadonlySet<string>) => boolean): number {
  const fits = (text: string) => shapes.some((shape) => shape.test(text));
  if (!fits(unit.text)) return block.some((other) => other !== unit && fits(other.text)) ? 0.15 : 0;
  const clauses = unit.text.split(/\n|;\s|(?<=[.!?])\s+/);
  return clauses.some((clause) => fits(clause) && mentionsQuestion(new Set(extractTerms(clause)))) ? 0.5 : 0.35;
}

/** The text a unit stands for when judged as an answer: a short paragraph as a whole. */
function blockOf(unit: Unit, units: readonly Unit[]): Unit[] {
  if (unit.kind !== 'sentence') return [unit];
  const paragraph = units.filter((other) => other.passageRank === unit.passageRank && other.paragraph === unit.paragraph);
  return paragraph.reduce((sum, other) => sum + other.words, 0) <= PARAGRAPH_WORDS ? paragraph : [unit];
}

/**
 * Composes an answer to `question` from `passages` (best first), or returns null when nothing
 * in them answers it well enough — the caller then says honestly that it does not know.
 */
export function composeExtractiveAnswer(question: string, passages: readonly Passage[], options: ComposeOptions = {}): ComposedAnswer | null {
  const maxPassages = options.maxPassages ?? 4;
  const wordBudget = options.wordBudget ?? 130;
  const maxSources = options.maxSources ?? 3;
  const minCoverage = options.minCoverage ?? 0.4;

  const asked = questionTerms(question);
  if (asked.length === 0) return null;
  const questionTermSet = new Set(asked.flatMap((item) => [item.term, ...item.alternatives]));

  const candidates = passages.slice(0, maxPassages);
  const units: Unit[] = [];
  const seen = new Set<string>();
  candidates.forEach((passage, rank) => {
    for (const unit of unitsOf(passage, rank)) {
      // Chunks overlap, so the same sentence can come from two passages: keep the first.
      const key = unit.text.toLowerCase().replace(/\s+/g, ' ');
      if (seen.has(key)) continue;
      seen.add(key);
      units.push(unit);
    }
  });
  if (units.length === 0) return null;

  const has = (terms: ReadonlySet<string>, item: QuestionTerm) => terms.has(item.term) || item.alternatives.some((alternative) => terms.has(alternative));

  // Rare question words say more about which sentence answers than common ones. A word found
  // in no passage weighs like the rarest word that is found: the question may use its own
  // words ("download my invoice") for what a passage says otherwise.
  const weights = asked.map((item) => {
    const df = units.filter((unit) => has(unit.terms, item)).length;
    return df === 0 ? Number.NaN : Math.log(1 + (units.length + 1) / (df + 0.5));
  });
  const known = weights.filter((weight) => !Number.isNaN(weight));
  if (known.length === 0) return null;
  const missingWeight = Math.max(...known);
  const termWeights = weights.map((weight) => (Number.isNaN(weight) ? missingWeight : weight));
  const totalWeight = termWeights.reduce((sum, weight) => sum + weight, 0);
  const share = (terms: ReadonlySet<string>) => asked.reduce((sum, item, index) => sum + (has(terms, item) ? (termWeights[index] ?? 0) : 0), 0) / totalWeight;

  // A sentence under "Warranty > What the warranty covers" speaks about the warranty even when it
  // does not repeat the word: title and heading words count half, and a section whose heading
  // matches the question is where its answer most likely is.
  const titleTerms = candidates.map((passage) => new Set(extractTerms(`${passage.title} ${passage.heading ?? ''}`)));
  const headingShare = candidates.map((passage) => (passage.heading ? share(new Set(extractTerms(passage.heading))) : 0));
  // How much retrieval trusts each passage, relative to the best one.
  const topScore = candidates[0]?.score ?? 0;
  const trust = candidates.map((passage, rank) =>
    topScore > 0 ? 0.8 + 0.2 * Math.min(1, Math.max(0, passage.score / topScore)) : 1 - 0.07 * rank,
  );
  const termList = asked.map((item) => item.term);
  const phrases = termList.slice(1).map((term, index) => `${termList[index]} ${term}`);
  const shapes = expectedAnswerShapes(question);

  for (const unit of units) {
    const inherited = titleTerms[unit.passageRank] ?? new Set<string>();
    let coverage = 0;
    let relevance = 0;
    asked.forEach((item, index) => {
      const weight = termWeights[index] ?? 0;
      if (has(unit.terms, item)) {
        coverage += weight;
        relevance += weight;
      } else if (has(inherited, item)) {
        coverage += weight / 2;
        relevance += weight;
      }
    });
    unit.coverage = coverage / totalWeight;
    unit.relevance = relevance / totalWeight;
    if (unit.coverage === 0) continue;
    const unitTermSequence = extractTerms(unit.text).join(' ');
    const phraseBonus = phrases.filter((phrase) => unitTermSequence.includes(phrase)).length * 0.08;
    const shapeBonus = shapes.length === 0 ? 0 : shapeScore(unit, blockOf(unit, units), shapes, (terms) => asked.some((item) => has(terms, item)));
    const lengthFactor = unit.kind === 'sentence' && unit.words > 60 ? 0.8 : 1;
    unit.score = (unit.coverage + phraseBonus + shapeBonus + 0.3 * (headingShare[unit.passageRank] ?? 0)) * lengthFactor * (trust[unit.passageRank] ?? 1);
  }

  const ranked = [...units].sort((a, b) => b.score - a.score);
  const best = ranked[0];
  if (!best || best.relevance < minCoverage) return null;

  const selected = new Set<Unit>([best]);
  const covered = new Set([...best.terms].filter((term) => questionTermSet.has(term)));
  let words = best.words;
  // The best sentence comes with its paragraph when that is short (the fact is often in the
  // sentence next to the one that matches best), else with the sentence after it.
  if (best.kind === 'sentence') {
    const block = blockOf(best, units);
    const neighbours =
      block.length > 1
        ? block
        : units.filter(
            (unit) =>
              unit.passageRank === best.passageRank &&
              unit.paragraph === best.paragraph &&
              (unit.order === best.order + 1 || (unit.order === best.order - 1 && PRONOUN_START.test(best.text))),
          );
    for (const unit of neighbours) {
      if (selected.has(unit)) continue;
      selected.add(unit);
      words += unit.words;
    }
  }
  const sources = new Set<number>([best.passageRank]);
  const redundant = (unit: Unit) =>
    [...selected].some((chosen) => {
      const shared = [...unit.terms].filter((term) => chosen.terms.has(term)).length;
      return shared / Math.max(1, Math.min(unit.terms.size, chosen.terms.size)) >= 0.8;
    });
  for (const unit of ranked.slice(1)) {
    if (unit.coverage === 0) break;
    if (selected.has(unit)) continue;
    const addsTerms = [...unit.terms].some((term) => questionTermSet.has(term) && !covered.has(term));
    // The best passage may add more of what it says; other passages only what it lacks.
    const strongEnough =
      unit.passageRank === best.passageRank ? unit.score >= 0.6 * best.score : addsTerms && unit.score >= 0.5 * best.score;
    if (!strongEnough || redundant(unit)) continue;
    if (!sources.has(unit.passageRank) && sources.size >= maxSources) continue;
    if (words + unit.words > wordBudget) continue;
    selected.add(unit);
    words += unit.words;
    sources.add(unit.passageRank);
    for (const term of unit.terms) if (questionTermSet.has(term)) covered.add(term);
  }

  // Pull in what the chosen pieces depend on: the sample after "add this tag:", the sentence
  // that introduces a code block, the sentence a "This …" refers to.
  const byPosition = (rank: number, order: number) => units.find((unit) => unit.passageRank === rank && unit.order === order);
  for (const unit of [...selected]) {
    const next = byPosition(unit.passageRank, unit.order + 1);
    const previous = byPosition(unit.passageRank, unit.order - 1);
    if (unit.kind === 'sentence' && next && next.kind !== 'sentence') {
      const introduces = unit.text.trimEnd().endsWith(':');
      const continuesTopic = next.paragraph !== unit.paragraph && [...next.terms].some((term) => questionTermSet.has(term));
      if (introduces || continuesTopic) selected.add(next);
    }
    if (unit.kind !== 'sentence' && previous?.kind === 'sentence' && (previous.text.trimEnd().endsWith(':') || unit.kind === 'code')) selected.add(previous);
    if (unit.kind === 'sentence' && PRONOUN_START.test(unit.text) && previous?.kind === 'sentence' && previous.paragraph === unit.paragraph) selected.add(previous);
  }

  const ordered = [...selected].sort((a, b) => a.passageRank - b.passageRank || a.order - b.order);
  let text = '';
  let previous: Unit | undefined;
  for (const unit of ordered) {
    const body = unit.kind === 'list' ? trimList(unit.text, questionTermSet) : unit.text;
    if (previous && previous.kind === 'sentence' && unit.kind === 'sentence' && previous.passageRank === unit.passageRank && previous.paragraph === unit.paragraph) {
      text += ` ${body}`;
    } else {
      text += `${text ? '\n\n' : ''}${body}`;
    }
    previous = unit;
  }

  const used: UsedPassage[] = [];
  for (const rank of [...new Set(ordered.map((unit) => unit.passageRank))]) {
    const passage = candidates[rank];
    if (!passage) continue;
    used.push({ passage, snippet: snippetOf(ordered.filter((unit) => unit.passageRank === rank).map((unit) => unit.text)) });
  }
  return { text: text.trim(), used };
}
