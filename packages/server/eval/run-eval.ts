/**
 * `npm run eval`: prints retrieval hit@1 / hit@3 and the extractive engine's key-fact recall on
 * the fixture knowledge base, with every miss listed. `--verbose` prints every answer.
 * On SQLite by default; `TEST_STORE=postgres` measures the PostgreSQL index instead, in a schema of
 * its own (dropped afterwards) of the database at TEST_DATABASE_URL
 * (default postgres://postgres@127.0.0.1:5432/test).
 */
import { evaluateKnowledge } from './evaluate-knowledge.ts';

const verbose = process.argv.includes('--verbose');
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const onPostgres = process.env.TEST_STORE === 'postgres';
const report = await evaluateKnowledge(
  onPostgres ? { databaseUrl: process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test', temporarySchema: true } : {},
);

for (const outcome of [...report.outcomes, ...report.holdoutOutcomes]) {
  const missed = !outcome.hitAt3 || !outcome.factInAnswer;
  if (!missed && !verbose) continue;
  const marks = `${outcome.hitAt1 ? '@1' : outcome.hitAt3 ? '@3' : '--'} ${outcome.factInAnswer ? 'fact' : 'NO FACT'}`;
  console.log(`[${marks}] ${outcome.question}\n    expected ${outcome.document} with "${outcome.fact}"; retrieved ${outcome.retrieved.slice(0, 3).join(', ') || 'nothing'}`);
  if (verbose || !outcome.factInAnswer) console.log(`    answer: ${outcome.answer.replace(/\s+/g, ' ').slice(0, 300)}`);
}
for (const item of report.unanswerable) {
  if (item.declined && !verbose) continue;
  console.log(`[${item.declined ? 'declined' : 'ANSWERED'}] ${item.question}\n    answer: ${item.answer.replace(/\s+/g, ' ').slice(0, 200)}`);
}

const row = (label: string, scores: { hitAt1: number; hitAt3: number; factRecall: number; questions: number }) =>
  `  ${label.padEnd(22)} ${String(scores.questions).padStart(3)}   ${percent(scores.hitAt1).padStart(6)}  ${percent(scores.hitAt3).padStart(6)}  ${percent(scores.factRecall).padStart(6)}`;
console.log(`
Knowledge evaluation (fixture: ${report.documents} documents of a fictional company; store: ${report.store})
                         questions  hit@1   hit@3   extractive answers with the key fact
${row('tuning set', report)}
${row('held-out set', report.holdout)}
  unanswerable questions declined by the extractive engine: ${percent(report.declined)} of ${report.unanswerable.length}`);
