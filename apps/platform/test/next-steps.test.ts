/**
 * The start-up output rule: the next steps are one JSON record in the log, and a readable block on
 * stderr only when stderr is a terminal.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger } from '@miptech/server';
import { formatNextSteps, reportNextSteps, type NextSteps } from '../src/next-steps.ts';

const STEPS: NextSteps = {
  demoUrl: 'http://localhost:8000/',
  reactDemoUrl: 'http://localhost:8000/demo/react',
  tenantId: 'miptech-company',
  publishableKey: 'pk_example',
  dataDir: '/home/me/.local/share/miptech',
  cli: 'npx miptech --help',
};

function capture(): { stream: Writable; lines: () => string[] } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk;
      done();
    },
  });
  return { stream, lines: () => text.split('\n').filter((line) => line !== '') };
}

function fakeTerminal(isTTY: boolean): { terminal: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const terminal = { isTTY, write: (text: string) => written.push(text) > 0 } as unknown as NodeJS.WriteStream;
  return { terminal, written };
}

test('not a terminal: one "next steps" JSON record with every field, nothing on stderr', () => {
  const log = capture();
  const { terminal, written } = fakeTerminal(false);
  reportNextSteps(createLogger('info', log.stream), STEPS, terminal);
  const lines = log.lines();
  assert.equal(lines.length, 1);
  const record = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(record.msg, 'next steps');
  assert.equal(record.level, 30);
  for (const [key, value] of Object.entries(STEPS)) assert.equal(record[key], value, key);
  assert.deepEqual(written, []);
});

test('a terminal: the same record, and a readable block on stderr', () => {
  const log = capture();
  const { terminal, written } = fakeTerminal(true);
  reportNextSteps(createLogger('info', log.stream), STEPS, terminal);
  assert.equal(log.lines().length, 1);
  assert.equal(written.join(''), formatNextSteps(STEPS));
  for (const value of [STEPS.demoUrl, STEPS.publishableKey!, STEPS.tenantId, STEPS.cli]) assert.ok(written.join('').includes(value), value);
});
