/** What every command module under src/commands/ exports as its default. */
export interface CliContext {
  /** Environment the command reads its configuration from (process.env by default). */
  env: Readonly<Record<string, string | undefined>>;
  /** Result output (what scripts capture): tokens, JSON, tables. */
  stdout(text: string): void;
  /** Messages for the operator. */
  stderr(text: string): void;
}

export interface CliCommand {
  /** Full usage text for `miptech <command> --help`. */
  usage: string;
  /** Runs the command; resolves with the exit code. `serve` resolves once the server is up and keeps running. */
  run(args: string[], context: CliContext): Promise<number>;
}

/** Thrown for bad command-line input: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
