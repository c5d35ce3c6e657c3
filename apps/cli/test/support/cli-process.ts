/**
 * Runs the `miptech` bin as its own process for the CLI's process tests.
 *
 * These tests run the bin on the CLI's TypeScript sources, not on dist/: the bin imports the
 * package by its own name, and `--conditions=@miptech/source` with tsx's loader makes that
 * src/main.ts (and every workspace package it imports their sources), so a test never runs a stale
 * build. The compiled dist/ with plain node — what `npm start` and an installed CLI run — is proved
 * by test/packaging/cli-tarball.test.ts. tsx is imported by absolute URL, so the process may start
 * in any working directory.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/miptech.mjs', import.meta.url));
const TSX_LOADER = import.meta.resolve('tsx');

/** node's arguments for `miptech <args>` on the sources. */
export function cliProcessArgs(args: string[]): string[] {
  return ['--conditions=@miptech/source', '--import', TSX_LOADER, BIN, ...args];
}

export function spawnCli(args: string[], options: SpawnOptions): ChildProcess {
  return spawn(process.execPath, cliProcessArgs(args), options);
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `miptech <args>` to its end (at most `timeoutMs`). */
export function runCliProcess(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawnCli(args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk) => (stdout += chunk));
    child.stderr?.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`miptech ${args.join(' ')} did not end within ${options.timeoutMs ?? 30_000} ms\n${stdout}\n${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
