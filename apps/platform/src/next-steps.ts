/**
 * What `npm start` / `miptech serve` tells the operator once the platform is ready: where the demo
 * is, the default tenant and its publishable key (the public `pk_…` key a website embeds), and
 * where the CLI's help is.
 *
 * One rule for the process's output: stdout is the JSON log (pino, one object per line) and
 * nothing else, so a log collector never meets a plain line. The next steps are one `info` record
 * in it (msg "next steps"). Only when stderr is a terminal is the same also printed there as a
 * short human-readable block; never into a file, a pipe or a container log.
 */
import type { Logger, Platform, PlatformConfig } from '@miptech/server';

export interface NextSteps {
  /** The demo page with the widget embedded for the default tenant. */
  demoUrl: string;
  /** The same chat built with @miptech/react. */
  reactDemoUrl: string;
  tenantId: string;
  publishableKey: string | null;
  dataDir: string;
  cli: string;
}

/**
 * The next steps of a platform that is ready. `listenUrl` is what listen() returned; PUBLIC_URL,
 * when the operator set it, is the address visitors use instead.
 */
export async function nextSteps(platform: Platform, config: PlatformConfig, listenUrl: string, publicUrlSet: boolean): Promise<NextSteps> {
  const base = (publicUrlSet ? config.publicUrl : listenUrl).replace(/\/+$/, '');
  const tenant = await platform.services.store.tenants.get(config.defaultTenantId);
  return {
    demoUrl: `${base}/`,
    reactDemoUrl: `${base}/demo/react`,
    tenantId: config.defaultTenantId,
    publishableKey: tenant?.publishableKey ?? null,
    dataDir: config.dataDir,
    cli: 'npx miptech --help',
  };
}

/** The human-readable form, for a terminal. */
export function formatNextSteps(steps: NextSteps): string {
  return [
    '',
    'MIPTech AI Platform is ready.',
    `  Demo:             ${steps.demoUrl}  (React: ${steps.reactDemoUrl})`,
    `  Default tenant:   ${steps.tenantId}`,
    `  Publishable key:  ${steps.publishableKey ?? '(tenant not found)'}`,
    `  Data directory:   ${steps.dataDir}`,
    `  Command line:     ${steps.cli}`,
    '',
    '',
  ].join('\n');
}

export function reportNextSteps(logger: Logger, steps: NextSteps, terminal: NodeJS.WriteStream = process.stderr): void {
  logger.info({ ...steps }, 'next steps');
  if (terminal.isTTY) terminal.write(formatNextSteps(steps));
}
