/**
 * Reads a V8 `.cpuprofile` (written by `node --cpu-prof`) and lists where the CPU went: self time
 * per function and per file, as a share of the busy (non-idle) time. Run directly with a profile
 * path, or used by `npm run bench -- --profile`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface HotSpot {
  name: string;
  selfMs: number;
  /** Share of busy time, 0..1. */
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  busyMs: number;
  functions: HotSpot[];
  files: HotSpot[];
}

const root = resolve(import.meta.dirname, '../../..');

/** A readable location: repo-relative path, `pkg/...` inside node_modules, or `node:...`. */
export function shortUrl(url: string): string {
  if (url === '') return '(native)';
  let path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('/node_modules/');
  if (modules >= 0) return path.slice(modules + '/node_modules/'.length);
  if (path.startsWith(`${root}/`)) path = path.slice(root.length + 1);
  return path;
}

export function summarizeCpuProfile(profile: CpuProfile, top = 25): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfByNode = new Map<number, number>();
  let totalUs = 0;
  profile.samples.forEach((nodeId, index) => {
    const delta = Math.max(0, profile.timeDeltas[index] ?? 0);
    totalUs += delta;
    selfByNode.set(nodeId, (selfByNode.get(nodeId) ?? 0) + delta);
  });
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  let idleUs = 0;
  for (const [nodeId, us] of selfByNode) {
    const frame = byId.get(nodeId)?.callFrame;
    if (!frame) continue;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const file = shortUrl(frame.url);
    // Line numbers are those of tsx's transpiled output, so only file and function are shown.
    const name = frame.url === '' ? frame.functionName || '(native)' : `${file}:${frame.functionName || '(anonymous)'}`;
    functions.set(name, (functions.get(name) ?? 0) + us);
    files.set(file, (files.get(file) ?? 0) + us);
  }
  const busyUs = Math.max(1, totalUs - idleUs);
  const rank = (map: Map<string, number>) => [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, selfMs: us / 1000, share: us / busyUs }));
  return { totalMs: totalUs / 1000, busyMs: busyUs / 1000, functions: rank(functions), files: rank(files) };
}

export function renderProfileSummary(summary: ProfileSummary): string {
  const line = (spot: HotSpot) => `  ${(spot.share * 100).toFixed(1).padStart(5)} %  ${spot.selfMs.toFixed(0).padStart(7)} ms  ${spot.name}`;
  return [
    `profile: ${summary.totalMs.toFixed(0)} ms sampled, ${summary.busyMs.toFixed(0)} ms busy`,
    'self time by function (share of busy time):',
    ...summary.functions.map(line),
    'self time by file:',
    ...summary.files.map(line),
  ].join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node --import tsx bench/src/profile/summarize-cpu-profile.ts <file.cpuprofile> [top]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  console.log(renderProfileSummary(summarizeCpuProfile(profile, Number(process.argv[3] ?? 25))));
}
