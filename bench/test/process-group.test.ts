import { test } from 'node:test';
import assert from 'node:assert/strict';
import { descendantsOf, groupCpuBetween, processName, readGroupUsage, readParentTable, type GroupReading } from '../src/orchestrator/process-group.ts';

function reading(at: number, entries: Array<[number, 'node' | 'nginx' | 'postgres', number]>): GroupReading {
  return { at, processes: new Map(entries.map(([pid, role, cpuMs]) => [pid, { role, cpuMs }])) };
}

test('group CPU adds every process of the later reading, per role; new ones count in full, vanished ones not', () => {
  const before = reading(1000, [[10, 'node', 500], [11, 'node', 700], [20, 'nginx', 100], [30, 'postgres', 50]]);
  // Node 11 used 300 ms, node 10 200 ms, nginx 50 ms; backend 30 closed, backend 31 opened and used 40 ms.
  const after = reading(3000, [[10, 'node', 700], [11, 'node', 1000], [20, 'nginx', 150], [31, 'postgres', 40]]);
  const cpu = groupCpuBetween(before, after);
  assert.equal(cpu.cpuMs, 590);
  assert.equal(cpu.cores, 0.295);
  assert.deepEqual(cpu.coresByRole, { node: 0.25, nginx: 0.025, postgres: 0.02 });
});

test('a pid reused with a lower CPU time than before counts as zero, not negative', () => {
  const cpu = groupCpuBetween(reading(0, [[10, 'node', 900]]), reading(1000, [[10, 'node', 100]]));
  assert.equal(cpu.cpuMs, 0);
});

test('descendants are found through every generation, and a cycle in the table does not loop', () => {
  // 1 → 100 (manager) → 200 (node), 201 (nginx master) → 300 (nginx worker); 400 is unrelated.
  const table = new Map([[100, 1], [200, 100], [201, 100], [300, 201], [400, 1]]);
  assert.deepEqual(descendantsOf(100, table).sort(), [200, 201, 300]);
  assert.deepEqual(descendantsOf(300, table), []);
  const cyclic = new Map([[5, 6], [6, 5], [7, 5]]);
  assert.deepEqual(descendantsOf(5, cyclic).sort(), [6, 7]);
});

test('the parent table and the group reading see this very process', { skip: process.platform !== 'linux' && 'needs /proc' }, () => {
  assert.equal(readParentTable().get(process.pid), process.ppid);
  assert.notEqual(processName(process.pid), '');
  const group = readGroupUsage([{ role: 'server', pid: process.pid }, { role: 'node', pid: 2 ** 22 + 1 }]);
  assert.deepEqual([...group.processes.keys()], [process.pid], 'a pid that does not exist is left out');
});
