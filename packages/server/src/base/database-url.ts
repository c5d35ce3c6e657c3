/**
 * Reads `DATABASE_URL`-style strings: `postgres://…`/`postgresql://…` select PostgreSQL;
 * `sqlite:<path>`, `file:<path>`, `sqlite::memory:` or a plain file path select SQLite.
 */
import { fileURLToPath } from 'node:url';

export type DatabaseLocation =
  | { dialect: 'sqlite'; path: string }
  | { dialect: 'postgres'; connectionString: string };

export function parseDatabaseUrl(databaseUrl: string): DatabaseLocation {
  const url = databaseUrl.trim();
  if (url === '') throw new Error('DATABASE_URL is empty');
  if (/^postgres(ql)?:\/\//i.test(url)) return { dialect: 'postgres', connectionString: url };
  if (/^sqlite::memory:$/i.test(url) || url === ':memory:') return { dialect: 'sqlite', path: ':memory:' };
  if (/^file:\/\//i.test(url)) return { dialect: 'sqlite', path: fileURLToPath(url) };
  const prefixed = /^(sqlite|file):(.*)$/i.exec(url);
  if (prefixed) {
    // `sqlite:///abs/path` and `sqlite://rel` are common spellings too: keep one leading slash.
    const path = (prefixed[2] ?? '').replace(/^\/\/(?=\/)/, '').replace(/^\/\//, '');
    if (path === '') throw new Error(`DATABASE_URL ${JSON.stringify(databaseUrl)} names no file`);
    return { dialect: 'sqlite', path };
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
    throw new Error(`DATABASE_URL scheme not supported: ${url.slice(0, url.indexOf(':'))} (use sqlite:, file: or postgres://)`);
  }
  return { dialect: 'sqlite', path: url };
}
