/**
 * `miptech <command> [options]`: serve, migrate, token, tenant, kb. Each command lives in its
 * own module under ./commands and is loaded only when used.
 */
import { pathToFileURL } from 'node:url';
import { ConfigError } from '@miptech/server';
import { UsageError, type CliCommand, type CliContext } from './cli-command.ts';

const COMMANDS: Record<string, () => Promise<{ default: CliCommand }>> = {
  serve: () => import('./commands/serve.ts'),
  migrate: () => import('./commands/migrate.ts'),
  token: () => import('./commands/token.ts'),
  tenant: () => import('./commands/tenant.ts'),
  kb: () => import('./commands/kb.ts'),
};

async function help(context: CliContext): Promise<number> {
  const lines = ['Usage: miptech <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(COMMANDS)) {
    const summary = await load().then((module) => module.default.summary, () => '(not available)');
    lines.push(`  ${name.padEnd(10)}${summary}`);
  }
  lines.push('', 'Run `miptech <command> --help` for its options. Configuration comes from the environment (docs/configuration.md).');
  context.stdout(`${lines.join('\n')}\n`);
  return 0;
}

/** Runs the CLI with `argv` (without node and the script); resolves with the exit code. */
export async function runCli(argv: string[], context: CliContext = defaultContext()): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') return help(context);
  const load = COMMANDS[name];
  if (!load) {
    context.stderr(`Unknown command "${name}".\n`);
    await help(context);
    return 2;
  }
  const command = (await load()).default;
  if (args.includes('--help') || args.includes('-h')) {
    context.stdout(`${command.usage}\n`);
    return 0;
  }
  try {
    return await command.run(args, context);
  } catch (error) {
    if (error instanceof UsageError) {
      context.stderr(`${error.message}\n\n${command.usage}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      context.stderr(`${error.message}\n`);
      return 1;
    }
    const code = (error as { code?: unknown }).code;
    context.stderr(`miptech ${name}: ${typeof code === 'string' ? `[${code}] ` : ''}${(error as Error).message}\n`);
    return 1;
  }
}

function defaultContext(): CliContext {
  return {
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await runCli(process.argv.slice(2));
}
