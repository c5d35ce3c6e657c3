import { main } from '@miptech/platform';
import type { CliCommand } from '../cli-command.ts';
import { parseOptions } from '../parse-options.ts';

const serve: CliCommand = {
  usage: `Usage: miptech serve [--port N] [--host H]

Starts the platform with the configuration from the environment (docs/configuration.md).
--port and --host override PORT and HOST. SIGTERM/SIGINT shut it down gracefully.
On the first start it creates the data directory's JWT secret (MIPTECH_DATA_DIR, default
$XDG_DATA_HOME/miptech or ~/.local/share/miptech) and the database there.
Output is the JSON log on stdout; once ready, an info record "next steps" names the demo URL and
the default tenant's publishable key (also printed readably when stderr is a terminal).`,
  async run(args, context) {
    const { values } = parseOptions(args, { port: { type: 'string' }, host: { type: 'string' } });
    const env = { ...context.env };
    if (values.port !== undefined) env.PORT = values.port;
    if (values.host !== undefined) env.HOST = values.host;
    // The platform reports its own start-up and failures (structured, on stdout).
    return main(env);
  },
};

export default serve;
