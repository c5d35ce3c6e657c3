/** Sentence splitting shared by the chunker (overlaps) and the extractive engine (answer pieces). */

/** Splits a paragraph into sentences without breaking "e.g.", versions or `code.calls()`. */
export function splitSentences(paragraph: string): string[] {
  const flat = paragraph.replace(/\s*\n\s*/g, ' ').trim();
  if (!flat) return [];
  const parts = flat.split(/(?<=[.!?])\s+(?=[`"'(*_[]?[\p{Lu}\p{N}])/u);
  const sentences: string[] = [];
  for (const part of parts) {
    const previous = sentences.at(-1);
    // Re-join splits after common abbreviations.
    if (previous && /\b(e\.g|i\.e|etc|vs|cf|approx|incl|no|Mr|Ms|Dr)\.$/i.test(previous)) {
      sentences[sentences.length - 1] = `${previous} ${part}`;
    } else {
      sentences.push(part);
    }
  }
  return sentences;
}
