/**
 * Packs workspace packages the way they would be published and installs the tarballs into a fresh
 * project outside the repository, so consumer tests exercise what users get from npm — compiled
 * dist/ files and the `files` list — not workspace links or the TypeScript sources.
 *
 * Every child process gets `cleanPackageEnv()`: NODE_OPTIONS without the `@miptech/source`
 * condition that scripts/run-tests.mjs adds (a consumer never has it), and none of the `npm_*`
 * variables an enclosing `npm test` sets (they would point npm at the repository's workspace).
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is packages/testing/src/package-tarballs.ts). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const BUILD_TIMEOUT_MS = 120_000;
const PACK_TIMEOUT_MS = 60_000;
const INSTALL_TIMEOUT_MS = 120_000;
/** A lock without a readable owner pid is taken as abandoned after this long. */
const STALE_LOCK_MS = 5 * 60_000;

/** The environment of a consumer: no source condition, no enclosing npm run's variables. */
export function cleanPackageEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^npm_/i.test(key) && !/^npm_config_(cache|registry|userconfig|globalconfig)$/i.test(key)) continue;
    if (key === 'NODE_TEST_CONTEXT' || key === 'NODE_OPTIONS' || key === 'INIT_CWD') continue;
    env[key] = value;
  }
  const nodeOptions = (process.env.NODE_OPTIONS ?? '')
    .split(/\s+/)
    .filter((option) => option && !option.startsWith('--conditions=@miptech/source'))
    .join(' ');
  if (nodeOptions) env.NODE_OPTIONS = nodeOptions;
  return { ...env, ...extra };
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command with the consumer environment; rejects with its output on failure or timeout. */
export function run(
  command: string,
  args: string[],
  options: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env ?? cleanPackageEnv(), timeout: options.timeoutMs, maxBuffer: 32 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const why = error.killed ? `timed out after ${options.timeoutMs} ms` : `exit code ${String(error.code)}`;
          reject(new Error(`${command} ${args.join(' ')} (in ${options.cwd}): ${why}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`));
          return;
        }
        resolvePromise({ stdout, stderr });
      },
    );
  });
}

/** Workspace package name → its folder, from the root package.json's `workspaces`. */
function workspaceFolders(): Map<string, string> {
  const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
  const folders = new Map<string, string>();
  for (const workspace of root.workspaces) {
    const dir = join(REPO_ROOT, workspace);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string };
    folders.set(manifest.name, dir);
  }
  return folders;
}

/** Whether the process that took a lock is gone (killed by a test timeout, say). */
function lockIsStale(lock: string): boolean {
  try {
    const pid = Number(readFileSync(join(lock, 'pid'), 'utf8'));
    if (!Number.isInteger(pid) || pid <= 0) return Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS;
    process.kill(pid, 0);
    return false;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return true;
    // No pid file yet (taken a moment ago) or already released.
    if (code === 'ENOENT') return existsSync(lock) && Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS;
    return false;
  }
}

/**
 * Holds the one build lock across processes (test files run in parallel and several of them pack
 * packages). One for all packages, not one per package: a build deletes and rewrites its dist/,
 * and the build of a package that depends on it (the CLI on the server) reads those declarations.
 */
async function withBuildLock<T>(work: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), 'miptech-pack-build.lock');
  for (;;) {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      if (lockIsStale(lock)) rmSync(lock, { recursive: true, force: true });
      else await new Promise((wait) => setTimeout(wait, 200));
    }
  }
  try {
    return await work();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Built (and packed) once per process, whatever the number of callers. */
const packed = new Map<string, Promise<string>>();
const npmPath = 'npm';

/** Folders that are build outputs, dependencies or scratch space, not build inputs. */
const NOT_INPUTS = new Set(['node_modules', 'dist', '.tmp', 'data', 'test-artifacts', 'test']);

/**
 * The folders a package's build reads: its own and those of the workspace packages it depends on,
 * transitively (dependencies, peer and dev dependencies: the widget bundles the client, the
 * platform's demo bundle the React hook, the CLI compiles against the server's declarations).
 * @miptech/testing is left out: it is test support, never a build input.
 */
function buildInputFolders(name: string, folders: Map<string, string>): string[] {
  const seen = new Set<string>();
  const visit = (current: string): void => {
    if (seen.has(current) || current === '@miptech/testing') return;
    const folder = folders.get(current);
    if (!folder) return;
    seen.add(current);
    const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;
    for (const field of ['dependencies', 'peerDependencies', 'devDependencies']) {
      for (const dependency of Object.keys(manifest[field] ?? {})) visit(dependency);
    }
  };
  visit(name);
  return [...seen].sort().map((dependency) => folders.get(dependency)!);
}

/**
 * A digest of a build's inputs: path, size and mtime of each file in the given folders (outside
 * outputs and tests), plus the shared build scripts and configs.
 */
function buildInputsDigest(folders: Iterable<string>): string {
  const hash = createHash('sha256');
  const visit = (path: string): void => {
    let stats;
    try {
      stats = statSync(path);
    } catch {
      return; // Deleted while walking: the next digest sees the change.
    }
    if (stats.isDirectory()) {
      for (const name of readdirSync(path).sort()) if (!NOT_INPUTS.has(name)) visit(join(path, name));
    } else {
      hash.update(`${path}\0${stats.size}\0${stats.mtimeMs}\n`);
    }
  };
  for (const folder of folders) visit(folder);
  for (const file of ['package.json', 'package-lock.json', 'tsconfig.base.json', 'scripts']) visit(join(REPO_ROOT, file));
  return hash.digest('hex');
}

/**
 * `npm run build` of a package, unless it was built from exactly the current inputs already (by
 * this or another test process: test files pack the same packages in parallel, and a build takes
 * seconds of both cores). The stamp is written only after a successful build, and the digest is
 * taken before it, so a file changed during a build makes the next call build again.
 */
async function buildUnlessUpToDate(name: string, folder: string): Promise<void> {
  const stamp = join(tmpdir(), `miptech-pack-${name.replace(/[^a-z0-9]+/gi, '-')}.built`);
  const digest = buildInputsDigest(buildInputFolders(name, workspaceFolders()));
  const built = existsSync(join(folder, 'dist')) && existsSync(stamp) && readFileSync(stamp, 'utf8') === `${REPO_ROOT}\0${digest}`;
  if (built) return;
  await run(npmPath, ['run', 'build', '--if-present'], { cwd: folder, timeoutMs: BUILD_TIMEOUT_MS });
  writeFileSync(stamp, `${REPO_ROOT}\0${digest}`);
}

async function buildAndPack(name: string, folder: string, into: string): Promise<string> {
  return withBuildLock(async () => {
    await buildUnlessUpToDate(name, folder);
    const { stdout } = await run(npmPath, ['pack', '--json', '--pack-destination', into], { cwd: folder, timeoutMs: PACK_TIMEOUT_MS });
    const [result] = JSON.parse(stdout) as Array<{ filename: string }>;
    if (!result) throw new Error(`npm pack of ${name} reported no tarball`);
    return join(into, result.filename);
  });
}

/**
 * `npm run build` then `npm pack` of each named workspace package into `into`, one after the other
 * (each build uses both cores; a build from unchanged inputs is not repeated, see
 * buildUnlessUpToDate). Resolves with package name → absolute tarball path.
 */
export async function packWorkspacePackages(names: string[], into: string): Promise<Map<string, string>> {
  const folders = workspaceFolders();
  const target = resolve(into);
  mkdirSync(target, { recursive: true });
  const tarballs = new Map<string, string>();
  for (const name of names) {
    const folder = folders.get(name);
    if (!folder) throw new Error(`${name} is not a workspace package`);
    const key = `${name}\0${target}`;
    let tarball = packed.get(key);
    if (!tarball) {
      tarball = buildAndPack(name, folder, target);
      packed.set(key, tarball);
      tarball.catch(() => packed.delete(key));
    }
    tarballs.set(name, await tarball);
  }
  return tarballs;
}

/**
 * Installs tarballs into `projectDir` (created with a minimal ESM package.json when it has none).
 * Each tarball is a `file:` dependency and also an override, so a package that depends on another
 * of them (client → protocol) gets the tarball, never a registry copy. Third-party dependencies come
 * from the npm cache when it has them (`--prefer-offline`).
 *
 * `tarballPaths` may be packWorkspacePackages' map (name → path) or a plain list of paths, named
 * from npm pack's file names (`miptech-client-0.1.0.tgz` → `@miptech/client`).
 */
export async function installTarballs(
  projectDir: string,
  tarballPaths: string[] | Map<string, string>,
  options: { timeoutMs?: number; extraDependencies?: Record<string, string>; extraDevDependencies?: Record<string, string> } = {},
): Promise<void> {
  mkdirSync(projectDir, { recursive: true });
  const named = tarballPaths instanceof Map ? tarballPaths : new Map([...tarballPaths].map((path) => [nameFromTarballFile(path), resolve(path)]));
  const manifestPath = join(projectDir, 'package.json');
  const manifest = existsSync(manifestPath)
    ? (JSON.parse(readFileSync(manifestPath, 'utf8')) as Record<string, unknown>)
    : { name: 'miptech-consumer', version: '0.0.0', private: true, type: 'module' };
  const dependencies = { ...(manifest.dependencies as Record<string, string> | undefined), ...options.extraDependencies };
  const overrides = { ...(manifest.overrides as Record<string, string> | undefined) };
  for (const [name, path] of named) {
    const spec = `file:${resolve(path)}`;
    dependencies[name] = spec;
    overrides[name] = spec;
  }
  manifest.dependencies = dependencies;
  manifest.overrides = overrides;
  if (options.extraDevDependencies) {
    manifest.devDependencies = { ...(manifest.devDependencies as Record<string, string> | undefined), ...options.extraDevDependencies };
  }
  writeFileSync(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
  await run(npmPath, ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: projectDir,
    timeoutMs: options.timeoutMs ?? INSTALL_TIMEOUT_MS,
  });
}

/** `miptech-client-0.1.0.tgz` → `@miptech/client` (npm pack's naming of scoped packages). */
function nameFromTarballFile(path: string): string {
  const file = path.split(/[\\/]/).pop() ?? path;
  const match = /^miptech-(.+)-\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?\.tgz$/.exec(file);
  if (!match) throw new Error(`cannot tell the package of ${file}: pass packWorkspacePackages' map instead`);
  return `@miptech/${match[1]}`;
}
