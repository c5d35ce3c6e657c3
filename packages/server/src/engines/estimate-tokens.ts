/**
 * A model-free token estimate for usage accounting when no provider reports counts. English
 * text averages about four characters per token for GPT-style tokenisers; short words and
 * punctuation push the count up, so the larger of the two estimates is used.
 */
export function estimateTokens(text: string): number {
  if (!text) return 0;
  const byCharacters = Math.ceil(text.length / 4);
  const byPieces = (text.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu) ?? []).length;
  return Math.max(byCharacters, Math.ceil(byPieces * 0.75));
}
