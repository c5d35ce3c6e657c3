/**
 * Runs the platform from the environment (`npm start` → `miptech serve` → here).
 * SIGTERM/SIGINT start a graceful shutdown: readiness turns 503, every socket is closed with
 * 1001 (clients reconnect elsewhere), answers in flight finish and are stored within
 * SHUTDOWN_GRACE_MS, then the process exits 0. Further SIGTERMs while draining are logged and
 * ignored (a signal to a process group arrives once per process that forwards it); only a second
 * Ctrl-C (a SIGINT at least half a second after an earlier one) exits at once.
 *
 * On the embedded default this is where the data directory's JWT secret is created (mode 0600) on
 * the first start: loadConfig only reads it.
 *
 * Configuration errors exit 1 before anything listens. A PostgreSQL database that is not
 * reachable yet does not: the node listens (liveness 200, readiness 503 db_not_ready) and opens
 * it as soon as it answers.
 *
 * Output: the JSON log on stdout only (next-steps.ts states the rule). A start that fails is a
 * `fatal` record there too, and a plain message on stderr only when stderr is a terminal.
 */
import { pathToFileURL } from 'node:url';
import { ConfigError, createLogger, ensureJwtSecret, loadConfig, type Env, type Platform, type PlatformOverrides } from '@miptech/server';
import { createDeployablePlatform } from './deployable-platform.ts';
import { nextSteps, reportNextSteps } from './next-steps.ts';

/** SIGINTs closer together than this are copies of one Ctrl-C (the terminal's and npm's forward). */
const REPEATED_INTERRUPT_MIN_GAP_MS = 500;

export interface RunningPlatform {
  platform: Platform;
  url: string;
}

/**
 * Loads the configuration, creates the JWT secret file when the embedded default needs one, starts
 * the platform and installs the signal handlers; once the platform is ready, logs the next steps.
 * `overrides` swap parts (the cluster proof runs real nodes with a scripted engine).
 */
export async function startFromEnv(env: Env = process.env, overrides: PlatformOverrides = {}): Promise<RunningPlatform> {
  const config = ensureJwtSecret(loadConfig(env));
  const platform = await createDeployablePlatform(config, overrides);
  let url: string;
  try {
    ({ url } = await platform.listen());
  } catch (error) {
    // E.g. the port is taken: nothing may keep the process alive after the failed start.
    await platform.close({ graceMs: 0 }).catch(() => undefined);
    throw error;
  }
  const logger = platform.services.logger;

  let stopping = false;
  let firstInterruptAt: number | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    const now = Date.now();
    if (stopping) {
      // A signal sent to a process group reaches node once from the sender and once more from
      // every wrapper that forwards it (npm does), so a repeated SIGTERM says nothing new: the
      // drain goes on. Only a person pressing Ctrl-C a second time means "now" - one keypress
      // under npm arrives as two SIGINTs within milliseconds, hence the pause required between them.
      if (signal === 'SIGINT' && firstInterruptAt !== null && now - firstInterruptAt >= REPEATED_INTERRUPT_MIN_GAP_MS) {
        logger.warn({ signal }, 'second interrupt: exiting now');
        process.exit(1);
      }
      if (signal === 'SIGINT') firstInterruptAt ??= now;
      logger.warn({ signal, graceMs: config.shutdownGraceMs }, 'already shutting down: signal ignored, answers in flight still finish');
      return;
    }
    stopping = true;
    if (signal === 'SIGINT') firstInterruptAt = now;
    logger.info({ signal, graceMs: config.shutdownGraceMs }, 'shutting down');
    platform.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const publicUrlSet = (env.PUBLIC_URL ?? '').trim() !== '';
  platform.ready.then(
    async () => {
      if (stopping) return;
      reportNextSteps(logger, await nextSteps(platform, config, url, publicUrlSet));
    },
    // A PostgreSQL not reachable yet is waited for (the node listens and reports 503 meanwhile); a
    // database that cannot be used for any other reason (wrong password, no such database) ends
    // the process as a failed start does.
    (error: unknown) => {
      if (stopping) return;
      reportStartFailure(error);
      process.exit(1);
    },
  ).catch((error: unknown) => logger.warn({ err: error }, 'could not report the next steps'));
  return { platform, url };
}

/**
 * A start that failed, as a `fatal` JSON record on stdout (whatever LOG_LEVEL says: nothing else
 * would tell why the process ended), plus the plain message on stderr when a person is watching.
 */
export function reportStartFailure(error: unknown): void {
  const logger = createLogger('fatal');
  if (error instanceof ConfigError) {
    logger.fatal({ problems: error.problems }, 'invalid configuration: the platform did not start');
    if (process.stderr.isTTY) process.stderr.write(`${error.message}\n`);
  } else {
    logger.fatal({ err: error }, 'the platform could not start');
    if (process.stderr.isTTY) process.stderr.write(`Could not start the platform: ${(error as Error).stack ?? String(error)}\n`);
  }
}

/** Entry point: starts the platform; resolves with 0 once it is up, or 1 after reporting why it is not. */
export async function main(env: Env = process.env): Promise<number> {
  try {
    await startFromEnv(env);
    return 0;
  } catch (error) {
    reportStartFailure(error);
    return 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const code = await main();
  if (code !== 0) process.exit(code);
}
