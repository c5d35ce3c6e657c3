/**
 * The embedded default (SQLite, one node) keeps its token-signing secret in the data directory,
 * so restarts keep issued tokens valid without the operator choosing one. Only `serve` creates it
 * (ensureJwtSecret, before the platform starts): loadConfig reads it when it exists and writes
 * nothing, and the other CLI commands use it as they find it (requireJwtSecret says what to do
 * when it is missing).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlatformConfig } from './config.ts';
import { ConfigError } from './config-error.ts';
import { DATA_DIR_VARIABLE, ensurePrivateDirectory } from './data-directory.ts';

/** HS256 needs a 256-bit key. */
export const MIN_JWT_SECRET_LENGTH = 32;
const SECRET_FILE = 'jwt-secret';

/** A configuration whose signing secret is known. */
export type ConfigWithJwtSecret = PlatformConfig & { readonly jwtSecret: string };

export function jwtSecretFilePath(dataDir: string): string {
  return join(dataDir, SECRET_FILE);
}

/** The secret kept in `file`, or null when there is no such file. Throws when it cannot be used. */
export function readJwtSecretFile(file: string): string | null {
  if (!existsSync(file)) return null;
  let secret: string;
  try {
    secret = readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new Error(`${file} cannot be read: ${(error as Error).message}`);
  }
  if (secret.length < MIN_JWT_SECRET_LENGTH) {
    throw new Error(`${file} holds a JWT secret shorter than ${MIN_JWT_SECRET_LENGTH} characters; delete it to regenerate`);
  }
  return secret;
}

/** Writes a new random secret to `file` (mode 0600) unless one exists; returns the secret in the file. */
function createJwtSecretFile(file: string, dataDir: string): string {
  ensurePrivateDirectory(dataDir);
  const secret = randomBytes(48).toString('base64url');
  try {
    // 'wx' fails if another process created the file meanwhile; then theirs is the one.
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readJwtSecretFile(file) ?? secret;
    throw error;
  }
  // The mode given to writeFileSync is filtered through the umask.
  chmodSync(file, 0o600);
  return secret;
}

/**
 * `serve`'s first-start step: when the configuration takes its secret from the data directory and
 * the file does not exist yet, creates it. Returns the configuration with the secret.
 */
export function ensureJwtSecret(config: PlatformConfig): ConfigWithJwtSecret {
  if (config.jwtSecret !== null) return config as ConfigWithJwtSecret;
  if (config.jwtSecretFile === null) return requireJwtSecretConfig(config);
  try {
    const jwtSecret = createJwtSecretFile(config.jwtSecretFile, config.dataDir);
    return Object.freeze({ ...config, jwtSecret });
  } catch (error) {
    throw new ConfigError([`JWT_SECRET is unset and ${config.jwtSecretFile} cannot be written: ${(error as Error).message}`]);
  }
}

function requireJwtSecretConfig(config: PlatformConfig): ConfigWithJwtSecret {
  if (config.jwtSecret !== null) return config as ConfigWithJwtSecret;
  const file = config.jwtSecretFile ?? jwtSecretFilePath(config.dataDir);
  throw new ConfigError([
    `JWT_SECRET is unset and ${file} does not exist: \`miptech serve\` creates it on its first start. ` +
      `If the platform keeps its data elsewhere, set ${DATA_DIR_VARIABLE} to that directory (or set JWT_SECRET).`,
  ]);
}

/** The signing secret; a ConfigError saying how to get one when there is none yet. */
export function requireJwtSecret(config: PlatformConfig): string {
  return requireJwtSecretConfig(config).jwtSecret;
}

/**
 * The secret file's problem worth a warning at start: readable or writable by other users than
 * its owner (anyone who can read it can sign tokens for every tenant). Null when it is private,
 * when the secret comes from JWT_SECRET, or on a system without POSIX modes.
 */
export function jwtSecretFileExposure(config: PlatformConfig): { file: string; mode: string } | null {
  if (config.jwtSecretSource !== 'file' || config.jwtSecretFile === null || process.platform === 'win32') return null;
  try {
    const mode = statSync(config.jwtSecretFile).mode & 0o777;
    return (mode & 0o077) === 0 ? null : { file: config.jwtSecretFile, mode: `0${mode.toString(8)}` };
  } catch {
    return null;
  }
}
