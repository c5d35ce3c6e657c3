/**
 * CPU of a group of processes (the cluster target: its nodes, nginx, Redis and the PostgreSQL
 * backends serving its database), read from /proc like a single server's. Processes come and go
 * during a phase (a pool opens a new PostgreSQL backend), so a reading is a map by pid and the
 * delta counts a process that appeared in full and one that vanished not at all.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readProcessUsage } from './process-usage.ts';

export type ProcessRole = 'server' | 'node' | 'nginx' | 'redis' | 'postgres';

export interface GroupMember {
  role: ProcessRole;
  pid: number;
}

export interface GroupReading {
  /** pid → role and CPU time (ms) at the reading. */
  processes: Map<number, { role: ProcessRole; cpuMs: number }>;
  at: number;
}

export interface GroupCpu {
  cpuMs: number;
  cores: number;
  /** Cores per role (e.g. how much nginx or PostgreSQL took). */
  coresByRole: Partial<Record<ProcessRole, number>>;
}

export function readGroupUsage(members: readonly GroupMember[]): GroupReading {
  const processes = new Map<number, { role: ProcessRole; cpuMs: number }>();
  for (const { role, pid } of members) {
    try {
      processes.set(pid, { role, cpuMs: readProcessUsage(pid).cpuMs });
    } catch {
      // Gone between the listing and the reading.
    }
  }
  return { processes, at: performance.now() };
}

/** CPU used by the group between two readings (pids of the later reading; new ones count from 0). */
export function groupCpuBetween(before: GroupReading, after: GroupReading): GroupCpu {
  const wallMs = after.at - before.at;
  let cpuMs = 0;
  const msByRole: Partial<Record<ProcessRole, number>> = {};
  for (const [pid, { role, cpuMs: now }] of after.processes) {
    const delta = Math.max(0, now - (before.processes.get(pid)?.cpuMs ?? 0));
    cpuMs += delta;
    msByRole[role] = (msByRole[role] ?? 0) + delta;
  }
  const coresByRole: Partial<Record<ProcessRole, number>> = {};
  for (const [role, ms] of Object.entries(msByRole) as Array<[ProcessRole, number]>) coresByRole[role] = wallMs > 0 ? ms / wallMs : 0;
  return { cpuMs, cores: wallMs > 0 ? cpuMs / wallMs : 0, coresByRole };
}

/** Every descendant of `root` in a pid → parent pid table (bounded by the table's size). */
export function descendantsOf(root: number, parentOf: ReadonlyMap<number, number>): number[] {
  const children = new Map<number, number[]>();
  for (const [pid, parent] of parentOf) {
    const list = children.get(parent);
    if (list) list.push(pid);
    else children.set(parent, [pid]);
  }
  const found: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  const seen = new Set<number>([root]);
  while (queue.length > 0 && found.length < parentOf.size) {
    const pid = queue.shift() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    found.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return found;
}

/** pid → parent pid of every process on the machine (from /proc/<pid>/stat). */
export function readParentTable(): Map<number, number> {
  const table = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const text = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // After "pid (comm) ": state, then the parent pid.
      const parent = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
      if (Number.isInteger(parent)) table.set(Number(entry), parent);
    } catch {
      // exited meanwhile
    }
  }
  return table;
}

/** The name a process runs under (/proc/<pid>/comm), or '' when it is gone. */
export function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}
