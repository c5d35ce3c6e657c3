import { createHash } from 'node:crypto';

/**
 * The chunks of a long scripted answer for the cluster proof: deterministic per question, and
 * every chunk names its position (`<tag>.<index> `), so a lost, repeated or misplaced chunk shows
 * in the final text.
 */
export function pacedAnswerScript(question: string, chunkCount: number): string[] {
  const tag = createHash('sha1').update(question).digest('hex').slice(0, 6);
  return Array.from({ length: chunkCount }, (_, index) => `${tag}.${index} `);
}
