// The shape of one CLI command: its name as typed, a one-line summary for `toq --help`, its
// usage text, and `run`, which returns the exit code (or nothing for 0) and throws CliError for
// failures. Commands print through the CliContext, never to process.stdout directly.

import type { CommandInput } from './parse-command.js';

export interface Command {
  /** The command word (`send`, `handler`). */
  readonly name: string;
  readonly summary: string;
  /** Full usage, printed for --help and after a usage error. */
  readonly usage: string;
  run(input: CommandInput): Promise<number | void>;
}
