/**
 * Runs scripts/run-tests.mjs as a child process on fixture test files, for the runner's own tests.
 * The caller's TEST_STORE and TEST_DATABASE_URL are removed (so a CI setting does not change what
 * the fixture run does); `env` sets what a test needs (undefined removes a variable).
 */
import { spawn } from 'node:child_process';

const runner = new URL('../run-tests.mjs', import.meta.url).pathname;

export function spawnTestRunner(args: string[], env: Record<string, string | undefined> = {}): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const childEnv: Record<string, string | undefined> = { ...process.env, TEST_STORE: undefined, TEST_DATABASE_URL: undefined, TEST_CONCURRENCY: '2', ...env };
    for (const key of Object.keys(childEnv)) if (childEnv[key] === undefined) delete childEnv[key];
    const child = spawn(process.execPath, [runner, ...args], { env: childEnv as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
  });
}
