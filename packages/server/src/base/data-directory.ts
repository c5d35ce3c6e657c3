/**
 * Where the platform keeps its local state (the SQLite file and the generated JWT secret). The
 * server and every CLI command must find the same directory whatever the working directory they
 * are started from: a `./data` default made `npx miptech` in another folder create a second
 * database, secret and default tenant there. So the rule depends only on the environment:
 *
 *   1. MIPTECH_DATA_DIR, when set;
 *   2. DATA_DIR, when set (the earlier name, kept as an alias);
 *   3. $XDG_DATA_HOME/miptech, when XDG_DATA_HOME is set;
 *   4. $HOME/.local/share/miptech (the XDG default).
 *
 * A relative MIPTECH_DATA_DIR/DATA_DIR is taken from the working directory: it was set on purpose.
 * docs/configuration.md documents the rule.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';

export const DATA_DIR_VARIABLE = 'MIPTECH_DATA_DIR';
/** The earlier name of MIPTECH_DATA_DIR, still read. */
export const DATA_DIR_ALIAS = 'DATA_DIR';

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** The data directory the environment names (absolute). Reads nothing from the disk. */
export function resolveDataDir(env: Readonly<Record<string, string | undefined>>): string {
  const explicit = nonEmpty(env[DATA_DIR_VARIABLE]) ?? nonEmpty(env[DATA_DIR_ALIAS]);
  if (explicit !== undefined) return resolve(explicit);
  // XDG says a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = nonEmpty(env.XDG_DATA_HOME);
  if (xdg !== undefined && isAbsolute(xdg)) return join(xdg, 'miptech');
  return join(nonEmpty(env.HOME) ?? homedir(), '.local', 'share', 'miptech');
}

/**
 * Creates `dir` (and missing parents) readable by its owner only (0700): it holds the database
 * and the signing secret. A directory that already exists is left as the operator set it up.
 */
export function ensurePrivateDirectory(dir: string): void {
  const firstCreated = mkdirSync(dir, { recursive: true, mode: 0o700 });
  // The mode given to mkdirSync is filtered through the umask; set it on what was created here.
  if (firstCreated === undefined) return;
  for (let created = resolve(dir); ; created = dirname(created)) {
    chmodSync(created, 0o700);
    if (created === resolve(firstCreated) || dirname(created) === created) break;
  }
}
