/**
 * `npm run bench`: the platform against a bare-WebSocket floor, in the same run (issue 7).
 * Runs every target once per round, alternating the order, then prints the table, writes
 * bench/results/latest.json and ends with a one-line summary.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseOptions, type TargetName } from './options.ts';
import { killAllChildren } from './orchestrator/node-child.ts';
import { fdsNeeded, runTarget, type TargetRun } from './orchestrator/run-target.ts';
import { aggregate } from './report/aggregate.ts';
import { renderTable, resultsDocument, summaryLine } from './report/render-report.ts';
import { renderProfileSummary, summarizeCpuProfile } from './profile/summarize-cpu-profile.ts';

const root = resolve(import.meta.dirname, '../..');

function fileDescriptorLimits(): { soft: number; hard: number } {
  const read = (flag: string) => {
    const text = execFileSync('/bin/sh', ['-c', `ulimit ${flag}`], { encoding: 'utf8' }).trim();
    return text === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(text);
  };
  return { soft: read('-Sn'), hard: read('-Hn') };
}

function ephemeralPorts(): number {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    return (high ?? 0) - (low ?? 0) + 1;
  } catch {
    return Number.NaN;
  }
}

async function main(): Promise<number> {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  const startedAt = new Date();
  const needed = fdsNeeded(options);
  const limits = fileDescriptorLimits();
  if (needed > limits.hard) {
    console.error(`bench needs about ${needed} file descriptors per process but the hard limit (ulimit -Hn) is ${limits.hard}; lower --memory-sessions/--idle or raise the limit`);
    return 2;
  }
  const fdLimit = Math.min(limits.hard, Math.max(limits.soft, needed));
  const ports = ephemeralPorts();
  if (Number.isFinite(ports) && needed > ports * 0.8) {
    console.error(`warning: ${needed} connections against ${ports} ephemeral ports; connections may fail`);
  }
  const logDir = resolve(root, 'bench/results/logs');
  mkdirSync(logDir, { recursive: true });
  const log = (line: string) => console.log(line);
  log(`bench: ${options.quick ? 'quick' : options.profile ? 'profile' : 'full'} run, ${options.rounds} round(s), targets ${options.targets.join(', ')}, ` +
    `steps ${options.steps.join('/')} over ${options.idleConnections} idle connections, fd limit ${fdLimit}, logs in ${logDir}`);

  const runs: TargetRun[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    // Alternate the order so neither server always runs on a warmer (or more tired) machine.
    const order: TargetName[] = round % 2 === 1 ? [...options.targets] : [...options.targets].reverse();
    for (const target of order) {
      log(`round ${round}/${options.rounds}: ${target}`);
      runs.push(await runTarget(target, { options, round, fdLimit, logDir, cwd: root, log }));
    }
  }

  const result = aggregate(runs, options);
  const doc = resultsDocument(result, runs, options, startedAt);
  const out = resolve(root, options.out);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(doc, (_key, value) => (typeof value === 'number' && !Number.isFinite(value) ? null : value), 2)}\n`);
  log('');
  log(renderTable(result, options));
  log(`results: ${out}`);
  for (const run of runs) {
    for (const { phase, file } of run.profileFiles) {
      const profile = JSON.parse(readFileSync(file, 'utf8')) as Parameters<typeof summarizeCpuProfile>[0];
      log(`\nCPU profile of the ${run.target} during ${phase} (${file}):`);
      log(renderProfileSummary(summarizeCpuProfile(profile, 30)));
    }
  }
  log(summaryLine(doc));
  return result.failedRuns.length > 0 ? 1 : 0;
}

// Whatever happens, no server or generator outlives the bench.
process.on('exit', killAllChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAllChildren();
    process.exit(130);
  });
}
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    killAllChildren();
    process.exit(1);
  },
);
