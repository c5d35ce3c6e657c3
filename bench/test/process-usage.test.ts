import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseProcStat, readProcessUsage } from '../src/orchestrator/process-usage.ts';

test('/proc/<pid>/stat is parsed after the command name, even one with spaces and parentheses', () => {
  const line = '4242 (node (bench) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 11 0 100 1000000 5000 18446744073709551615';
  assert.deepEqual(parseProcStat(line), { utimeTicks: 1234, stimeTicks: 567 });
  assert.throws(() => parseProcStat('4242 (node) S 1'), /unexpected/);
});

test('the usage of this very process is readable and plausible', { skip: process.platform !== 'linux' && 'needs /proc' }, () => {
  const usage = readProcessUsage(process.pid);
  assert.ok(usage.cpuMs > 0);
  assert.ok(usage.rssBytes > 1024 * 1024);
});
