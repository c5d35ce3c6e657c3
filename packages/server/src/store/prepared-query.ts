/**
 * A query of a fixed shape built and compiled by Kysely once, then run with new values only.
 *
 * Kysely builds an operation tree and compiles it to SQL on every call: for the small indexed
 * statements of the hot paths (an answer's message rows, a chat's creation) that cost as much as
 * 10-20 µs of CPU per statement next to SQLite's own 20-60 µs, and ~10 % of a chat creation.
 * The repositories' hot statements always have the same shape, so the SQL text is compiled once
 * (per dialect, with its own placeholders) and each call only binds its values.
 *
 * The shape is compiled with a marker in place of each named value; every value of the compiled
 * query is then either one of the markers (bound from the call's values) or a constant of the
 * builder itself. A builder must pass values through untouched: one that derives a value from
 * them (JSON.stringify, Math.floor, a branch on a value) is refused when compiled, since the
 * marker would end up frozen in the SQL. Columns with another default than NULL are written by
 * the builder itself (constants), never left to an undefined value.
 */
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';

// A private-use character: JSON.stringify and String() keep it, so a value derived from a marker still shows it.
const MARKER = '\uE000prepared-query-value:';

export interface PreparedQuery<P, R> {
  execute(values: P): Promise<QueryResult<R>>;
}

/** Prepares `build` (see above); `values` of a call must have every key the builder reads. */
export function prepareQuery<P extends Record<string, unknown>, R>(db: Kysely<any>, build: (values: P) => Compilable<R>): PreparedQuery<P, R> {
  let template: CompiledQuery<R> | null = null;
  /** Per parameter: the key of `values` it is bound from, or null for a constant of the builder. */
  let slots: (string | null)[] = [];

  function compile(): CompiledQuery<R> {
    const markers = new Proxy({} as P, { get: (_target, key) => (typeof key === 'string' ? `${MARKER}${key}` : undefined) });
    const compiled = build(markers).compile();
    slots = compiled.parameters.map((parameter) => {
      if (typeof parameter === 'string' && parameter.startsWith(MARKER)) return parameter.slice(MARKER.length);
      const derived = (typeof parameter === 'string' && parameter.includes(MARKER)) || (typeof parameter === 'number' && Number.isNaN(parameter));
      if (derived) throw new Error(`prepared query derives a value from its inputs: ${compiled.sql}`);
      return null;
    });
    return compiled;
  }

  return {
    execute(values) {
      try {
        template ??= compile();
      } catch (error) {
        return Promise.reject(error);
      }
      const constants = template.parameters;
      const parameters = slots.map((key, index) => {
        if (key === null) return constants[index];
        // Kysely leaves a column whose value is undefined out of an insert (the column's default);
        // a fixed shape binds NULL, the default of every column whose value is passed in.
        return values[key] ?? null;
      });
      return db.executeQuery<R>({ ...template, parameters });
    },
  };
}
