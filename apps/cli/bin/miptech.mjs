#!/usr/bin/env node
// The `miptech` command: the compiled CLI (dist/), run by plain node. It imports the package by its
// own name, so in development a process started with `--conditions=@miptech/source --import tsx`
// (as the CLI's process tests do) runs the TypeScript sources instead, with nothing else changed.
let cli;
try {
  cli = await import('@miptech/cli');
} catch (error) {
  // In a checkout that was never built (npm start and npm test build first).
  if (error?.code === 'ERR_MODULE_NOT_FOUND' && /[\\/]dist[\\/]/.test(String(error.message))) {
    process.stderr.write('miptech: the CLI is not built yet (its dist/ is missing): run `npm run build` in the repository.\n');
    process.exit(1);
  }
  throw error;
}
process.exitCode = await cli.runCli(process.argv.slice(2));
