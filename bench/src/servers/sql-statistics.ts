/**
 * Diagnostic for profiling runs (env BENCH_SQL_STATS=1): counts and times every SQLite statement
 * the platform prepares and runs, by SQL text, and prints the table when the server stops. The
 * CPU profile shows that time goes to SQLite; this shows which statements.
 */
import { createRequire } from 'node:module';

interface Entry {
  prepares: number;
  prepareMs: number;
  runs: number;
  runMs: number;
}

const stats = new Map<string, Entry>();

function entry(sql: string): Entry {
  const key = sql.replace(/\s+/g, ' ').slice(0, 160);
  let found = stats.get(key);
  if (!found) {
    found = { prepares: 0, prepareMs: 0, runs: 0, runMs: 0 };
    stats.set(key, found);
  }
  return found;
}

/** Wraps better-sqlite3's prepare and statement execution (this process only). */
export function installSqlStatistics(): void {
  // Resolved from the server package, which owns the better-sqlite3 dependency.
  const require = createRequire(import.meta.resolve('@miptech/server'));
  const Database = require('better-sqlite3') as { prototype: { prepare(sql: string): Record<string, unknown> } };
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function patchedPrepare(this: unknown, sql: string) {
    const record = entry(sql);
    const started = performance.now();
    const statement = prepare.call(this, sql);
    record.prepares++;
    record.prepareMs += performance.now() - started;
    for (const method of ['all', 'run', 'get', 'iterate']) {
      const original = statement[method] as ((...args: unknown[]) => unknown) | undefined;
      if (typeof original !== 'function') continue;
      statement[method] = function timed(this: unknown, ...args: unknown[]) {
        const begun = performance.now();
        try {
          return original.apply(this, args);
        } finally {
          record.runs++;
          record.runMs += performance.now() - begun;
        }
      };
    }
    return statement;
  };
}

export function renderSqlStatistics(): string {
  const rows = [...stats.entries()].sort((a, b) => (b[1].prepareMs + b[1].runMs) - (a[1].prepareMs + a[1].runMs));
  return ['SQL statistics (prepares, prepare ms, runs, run ms, sql):',
    ...rows.slice(0, 40).map(([sql, e]) => `${String(e.prepares).padStart(8)} ${e.prepareMs.toFixed(0).padStart(7)} ${String(e.runs).padStart(8)} ${e.runMs.toFixed(0).padStart(7)}  ${sql}`)].join('\n');
}
