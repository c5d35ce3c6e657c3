import { startFromEnv } from '@miptech/platform';
import type { CliCommand } from '../cli-command.ts';
import { parseOptions } from '../parse-options.ts';

const serve: CliCommand = {
  summary: 'Start the platform (REST + WebSocket) on PORT (default 8000)',
  usage: `Usage: miptech serve [--port N] [--host H]

Starts the platform with the configuration from the environment (docs/configuration.md).
--port and --host override PORT and HOST. SIGTERM/SIGINT shut it down gracefully.`,
  async run(args, context) {
    const { values } = parseOptions(args, { port: { type: 'string' }, host: { type: 'string' } });
    const env = { ...context.env };
    if (values.port !== undefined) env.PORT = values.port;
    if (values.host !== undefined) env.HOST = values.host;
    const { url } = await startFromEnv(env);
    context.stderr(`MIPTech AI Platform listening on ${url}\n`);
    return 0;
  },
};

export default serve;
