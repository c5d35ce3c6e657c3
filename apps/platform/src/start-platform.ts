/**
 * Runs the platform from the environment (`npm start` → `miptech serve` → here).
 * SIGTERM/SIGINT start a graceful shutdown: readiness turns 503, every socket is closed with
 * 1001 (clients reconnect elsewhere), answers in flight finish and are stored within
 * SHUTDOWN_GRACE_MS, then the process exits 0. A second signal exits at once.
 *
 * Configuration errors exit 1 before anything listens. A PostgreSQL database that is not
 * reachable yet does not: the node listens (liveness 200, readiness 503 db_not_ready) and opens
 * it as soon as it answers.
 */
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig, type Env, type Platform, type PlatformOverrides } from '@miptech/server';
import { createDeployablePlatform } from './deployable-platform.ts';

export interface RunningPlatform {
  platform: Platform;
  url: string;
}

/**
 * Loads the configuration, starts the platform and installs the signal handlers. `overrides` swap
 * parts (the cluster proof runs real nodes with a scripted engine).
 */
export async function startFromEnv(env: Env = process.env, overrides: PlatformOverrides = {}): Promise<RunningPlatform> {
  const config = loadConfig(env);
  const platform = await createDeployablePlatform(config, overrides);
  const { url } = await platform.listen();
  const logger = platform.services.logger;

  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
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
  // A PostgreSQL not reachable yet is waited for (the node listens and reports 503 meanwhile); a
  // database that cannot be used for any other reason (wrong password, no such database) ends
  // the process as a failed start does.
  platform.ready.catch((error: unknown) => {
    if (stopping) return;
    process.stderr.write(`Could not start the platform: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
  return { platform, url };
}

/** Entry point: prints configuration problems plainly (not as a stack trace) and exits 1 on failure. */
export async function main(env: Env = process.env): Promise<void> {
  try {
    const { url } = await startFromEnv(env);
    if (process.stdout.isTTY) process.stdout.write(`MIPTech AI Platform listening on ${url}\n`);
  } catch (error) {
    if (error instanceof ConfigError) process.stderr.write(`${error.message}\n`);
    else process.stderr.write(`Could not start the platform: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
