// The CLI's exit codes and the one error class commands throw. Codes are a contract with
// scripts (docs/CLI.md): 0 ok, 1 error, 2 usage, 3 daemon not running, 4 peer not reachable,
// 5 timeout. Nothing here prints or exits; main.ts turns a CliError into text and a code.

import { GatewayError } from '../protocol/errors.js';

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;
export const EXIT_NOT_RUNNING = 3;
export const EXIT_NOT_REACHABLE = 4;
export const EXIT_TIMEOUT = 5;

export type ExitCode = typeof EXIT_OK | typeof EXIT_ERROR | typeof EXIT_USAGE | typeof EXIT_NOT_RUNNING | typeof EXIT_NOT_REACHABLE | typeof EXIT_TIMEOUT;

/** A failure the user should read: printed as `error: <message>`, then exit with `exitCode`. */
export class CliError extends GatewayError {
  readonly exitCode: ExitCode;
  constructor(code: string, message: string, exitCode: ExitCode = EXIT_ERROR, options?: { cause?: unknown }) {
    super(code, message, options);
    this.exitCode = exitCode;
  }
}

/** Bad command line: printed with the command's usage, exit 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super('usage', message, EXIT_USAGE);
  }
}

/** The message the reference prints when a command needs the daemon. */
export const NOT_RUNNING_MESSAGE = 'toq is not running (start it with `toq up`)';

export function notRunningError(detail?: string): CliError {
  return new CliError('not_running', detail === undefined ? NOT_RUNNING_MESSAGE : `${NOT_RUNNING_MESSAGE}: ${detail}`, EXIT_NOT_RUNNING);
}

/** Local-API error codes (spec §2) → exit codes. */
export function exitCodeForApiCode(code: string): ExitCode {
  switch (code) {
    case 'not_reachable':
    case 'a2a_send_failed':
      return EXIT_NOT_REACHABLE;
    case 'delivery_timeout':
      return EXIT_TIMEOUT;
    default:
      return EXIT_ERROR;
  }
}
