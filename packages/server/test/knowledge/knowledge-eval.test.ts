import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateKnowledge } from '../../eval/evaluate-knowledge.ts';

// A quality floor, not a benchmark: the numbers are deterministic for a given code and fixture,
// so a drop means retrieval or answer composition got worse (see `npm run eval` for details).
test('knowledge evaluation stays above its floor', async () => {
  const report = await evaluateKnowledge();
  assert.ok(report.questions >= 40);
  assert.ok(report.hitAt3 >= 0.9, `hit@3 ${report.hitAt3}`);
  assert.ok(report.factRecall >= 0.85, `fact recall ${report.factRecall}`);
  assert.ok(report.holdout.hitAt3 >= 0.85, `held-out hit@3 ${report.holdout.hitAt3}`);
  assert.ok(report.holdout.factRecall >= 0.7, `held-out fact recall ${report.holdout.factRecall}`);
  assert.ok(report.declined >= 0.6, `declined ${report.declined}`);
});
