import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateKnowledge } from '../../eval/evaluate-knowledge.ts';
import { testPostgres } from '@miptech/testing/test-databases.ts';
import { testStore } from '@miptech/testing/test-platform.ts';

// A quality floor, not a benchmark: the numbers are deterministic for a given code, fixture and
// store, so a drop means retrieval or answer composition got worse (see `npm run eval` for
// details). The same floor for each store's search index: run once per TEST_STORE (the PostgreSQL
// tsvector index in a schema of its own).
test(`knowledge evaluation stays above its floor (${testStore()})`, async () => {
  let options = {};
  if (testStore() === 'postgres') {
    const { url, skip } = testPostgres();
    if (url === null) throw new Error(`TEST_STORE=postgres needs a PostgreSQL database: ${skip}`);
    options = { databaseUrl: url, temporarySchema: true };
  }
  const report = await evaluateKnowledge(options);
  assert.equal(report.store, testStore());
  assert.ok(report.questions >= 40);
  assert.ok(report.hitAt3 >= 0.9, `hit@3 ${report.hitAt3}`);
  assert.ok(report.factRecall >= 0.85, `fact recall ${report.factRecall}`);
  assert.ok(report.holdout.hitAt3 >= 0.85, `held-out hit@3 ${report.holdout.hitAt3}`);
  assert.ok(report.holdout.factRecall >= 0.7, `held-out fact recall ${report.holdout.factRecall}`);
  assert.ok(report.declined >= 0.6, `declined ${report.declined}`);
});
