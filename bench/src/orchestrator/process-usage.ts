/**
 * CPU time and resident memory of another process, read from /proc (Linux). CPU comes from
 * /proc/<pid>/stat (utime + stime, all threads), memory from /proc/<pid>/status (VmRSS).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface ProcessUsage {
  /** User + system CPU time of every thread, in ms. */
  cpuMs: number;
  rssBytes: number;
  /** When it was read (ms, monotonic). */
  at: number;
}

let ticksPerSecond: number | null = null;

function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** Parses the text of /proc/<pid>/stat; the command name may contain spaces and parentheses. */
export function parseProcStat(text: string): { utimeTicks: number; stimeTicks: number } {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ": field 3 (state) is index 0, so utime (14) is 11 and stime (15) is 12.
  const utimeTicks = Number(fields[11]);
  const stimeTicks = Number(fields[12]);
  if (!Number.isFinite(utimeTicks) || !Number.isFinite(stimeTicks)) throw new Error('unexpected /proc/<pid>/stat format');
  return { utimeTicks, stimeTicks };
}

export function readProcessUsage(pid: number): ProcessUsage {
  const { utimeTicks, stimeTicks } = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN);
  return { cpuMs: ((utimeTicks + stimeTicks) * 1000) / clockTicks(), rssBytes: rssKb * 1024, at: performance.now() };
}

/** CPU used between two readings, in ms and in cores (CPU time per wall time). */
export function cpuBetween(before: ProcessUsage, after: ProcessUsage): { cpuMs: number; cores: number } {
  const cpuMs = after.cpuMs - before.cpuMs;
  const wallMs = after.at - before.at;
  return { cpuMs, cores: wallMs > 0 ? cpuMs / wallMs : 0 };
}

export interface MachineCpu {
  /** Busy (non-idle, non-iowait) CPU time over all cores, ms. */
  busyMs: number;
  at: number;
}

/** Whole-machine CPU time from /proc/stat: tells how much other processes took during a phase. */
export function readMachineCpu(): MachineCpu {
  const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already inside user).
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = values;
  return { busyMs: ((user + nice + system + irq + softirq + steal) * 1000) / clockTicks(), at: performance.now() };
}

/** Cores kept busy between two machine readings. */
export function machineCoresBetween(before: MachineCpu, after: MachineCpu): number {
  const wallMs = after.at - before.at;
  return wallMs > 0 ? (after.busyMs - before.busyMs) / wallMs : 0;
}
