/**
 * Starts a bench process (server under test or load generator) as a Node child with an IPC channel,
 * its output in a log file, and its file-descriptor limit raised to what the run needs. Every child
 * is registered so that the orchestrator can stop all of them on any exit path.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { RpcClient } from '../ipc/rpc.ts';

export interface NodeChildOptions {
  label: string;
  /** Entry module (a .ts file, run through tsx). */
  entry: string;
  nodeFlags?: string[];
  env?: Record<string, string>;
  /** Soft `ulimit -n` for the child. */
  fdLimit: number;
  /** Nice value (scheduling priority) of the child. @default 0 */
  nice?: number;
  logFile: string;
  cwd: string;
}

export interface NodeChild {
  label: string;
  pid: number;
  process: ChildProcess;
  rpc: RpcClient;
  logFile: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Last lines of the child's log (for failure reports). */
  logTail(lines?: number): string;
}

const live = new Set<ChildProcess>();

export function startNodeChild(options: NodeChildOptions): NodeChild {
  const log = openSync(options.logFile, 'w');
  const nodeArgs = [...(options.nodeFlags ?? []), '--import', 'tsx', options.entry];
  // `exec` keeps the pid: the child we measure in /proc is node itself, not the shell.
  const nice = options.nice ? `nice -n ${options.nice} ` : '';
  const child = spawn('/bin/sh', ['-c', `ulimit -n ${options.fdLimit} && exec ${nice}"$0" "$@"`, process.execPath, ...nodeArgs], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', log, log, 'ipc'],
    // With a priority, the child gets its own session: Linux's scheduler autogroups share the CPU
    // per session, so a nice value only counts against other sessions through the autogroup's.
    detached: Boolean(options.nice),
  });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`${options.label}: failed to start`);
  live.add(child);
  if (options.nice) {
    try {
      writeFileSync(`/proc/${child.pid}/autogroup`, String(options.nice));
    } catch {
      // No autogroups (or no permission): the process nice value above still applies.
    }
  }
  const rpc = new RpcClient({
    post: (message) => {
      if (child.connected) child.send(message as object);
    },
    onMessage: (listener) => void child.on('message', listener),
  }, options.label);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      live.delete(child);
      rpc.close(`exited (code ${code}, signal ${signal})`);
      resolve({ code, signal });
    });
  });
  return {
    label: options.label,
    pid: child.pid,
    process: child,
    rpc,
    logFile: options.logFile,
    exited,
    logTail: (lines = 20) => {
      try {
        return readFileSync(options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '';
      }
    },
  };
}

/** Asks a child to stop, and kills it if it has not exited after `graceMs`. */
export async function stopNodeChild(child: NodeChild, graceMs: number): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  try {
    await child.rpc.call('shutdown', {}, graceMs);
  } catch {
    // Falls through to the kill below.
  }
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

/** Kills every child still running (the last resort on exit or failure). */
export function killAllChildren(): void {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}
