/**
 * `miptech <command> [options]`: serve, migrate, token, tenant, kb. Each command lives in its
 * own module under ./commands and is loaded only when used: `miptech --help` loads none of them
 * (nor the server library), which keeps it fast.
 */
import { pathToFileURL } from 'node:url';
import { UsageError, type CliCommand, type CliContext } from './cli-command.ts';

interface CommandEntry {
  /** One line for `miptech help`. */
  summary: string;
  load: () => Promise<{ default: CliCommand }>;
}

const COMMANDS: Record<string, CommandEntry> = {
  serve: { summary: 'Start the platform (REST + WebSocket) on PORT (default 8000)', load: () => import('./commands/serve.ts') },
  migrate: { summary: 'Apply pending database migrations and exit', load: () => import('./commands/migrate.ts') },
  token: { summary: 'Mint a JWT for an operator, a test or a backend', load: () => import('./commands/token.ts') },
  tenant: { summary: 'Create, list, show and update tenants', load: () => import('./commands/tenant.ts') },
  kb: { summary: 'Manage a tenant knowledge base: add, list, rm, search, crawl, reindex', load: () => import('./commands/kb.ts') },
};

function help(context: CliContext): number {
  const lines = ['Usage: miptech <command> [options]', '', 'Commands:'];
  for (const [name, { summary }] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(10)}${summary}`);
  lines.push(
    '',
    'Run `miptech <command> --help` for its options. Configuration comes from the environment (docs/configuration.md);',
    'every command uses the data directory MIPTECH_DATA_DIR (default $XDG_DATA_HOME/miptech, else ~/.local/share/miptech).',
  );
  context.stdout(`${lines.join('\n')}\n`);
  return 0;
}

/** Runs the CLI with `argv` (without node and the script); resolves with the exit code. */
export async function runCli(argv: string[], context: CliContext = defaultContext()): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === 'help' || name === '--help' || name === '-h') return help(context);
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!entry) {
    context.stderr(`Unknown command "${name}".\n`);
    help(context);
    return 2;
  }
  const command = (await entry.load()).default;
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
    // By name: importing @miptech/server's ConfigError here would load the server for every command.
    if ((error as Error | undefined)?.name === 'ConfigError') {
      context.stderr(`${(error as Error).message}\n`);
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
