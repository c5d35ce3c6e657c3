const CJK = String.raw`\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}`;
// One CJK character, a run of other letters and digits, or one other non-space character.
const PIECE = new RegExp(String.raw`[${CJK}]|(?:(?![${CJK}])[\p{L}\p{N}])+|[^\s\p{L}\p{N}]`, 'gu');

/**
 * A model-free token estimate for prompt budgets and for usage accounting when no provider
 * reports counts. English text averages about four characters per token for GPT-style
 * tokenisers; short words and punctuation push the count up, so the larger of the two estimates
 * is used. Han, kana and Hangul characters are about a token each, so each counts as a piece.
 */
export function estimateTokens(text: string): number {
  if (!text) return 0;
  const byCharacters = Math.ceil(text.length / 4);
  const byPieces = (text.match(PIECE) ?? []).length;
  return Math.max(byCharacters, Math.ceil(byPieces * 0.75));
}
