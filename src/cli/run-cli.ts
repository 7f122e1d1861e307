// The CLI as a function: argv → exit code, printing through the given streams. It finds the
// command (global options may come first), runs it, and turns errors into `error: ...` on
// stderr and the exit codes of exit-codes.ts. main.ts calls it for the real process; unit tests
// call it in-process.

import type { CliIo } from './cli-context.js';
import type { Command } from './command.js';
import { a2aCommand, configCommand, initCommand, setupCommand, whoamiCommand } from './commands/workspace-commands.js';
import { agentsCommand, clearLogsCommand, doctorCommand, downCommand, logsCommand, statusCommand, upCommand, upgradeCommand } from './commands/daemon-commands.js';
import { messagesCommand, outboxCommand, sendCommand } from './commands/message-commands.js';
import {
  approvalsCommand,
  approveCommand,
  blockCommand,
  denyCommand,
  discoverCommand,
  permissionsCommand,
  pingCommand,
  peersCommand,
  revokeCommand,
  unblockCommand,
} from './commands/peer-commands.js';
import { handlerCommand } from './commands/handler-commands.js';
import { conformanceCommand } from './commands/conformance-command.js';
import { exportCommand, importCommand, rotateKeysCommand } from './commands/key-commands.js';
import { packageVersion } from './daemon-entry.js';
import { CliError, EXIT_ERROR, EXIT_OK, EXIT_USAGE, UsageError } from './exit-codes.js';
import type { GlobalValues } from './parse-command.js';

/** Every command, in the order `toq --help` lists them (the reference's, then ours). */
export const COMMANDS: readonly Command[] = Object.freeze([
  initCommand,
  setupCommand,
  whoamiCommand,
  upCommand,
  downCommand,
  statusCommand,
  agentsCommand,
  sendCommand,
  messagesCommand,
  peersCommand,
  pingCommand,
  discoverCommand,
  handlerCommand,
  approvalsCommand,
  approveCommand,
  denyCommand,
  revokeCommand,
  blockCommand,
  unblockCommand,
  permissionsCommand,
  configCommand,
  doctorCommand,
  logsCommand,
  clearLogsCommand,
  exportCommand,
  importCommand,
  rotateKeysCommand,
  upgradeCommand,
  a2aCommand,
  outboxCommand,
  conformanceCommand,
]);

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const write = (stream: NodeJS.WritableStream, text: string): void => void stream.write(text.endsWith('\n') ? text : `${text}\n`);
  let globals: GlobalValues = {};
  let index = 0;
  // Global options before the command word (`toq --config-dir X status`).
  for (; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--json') globals = { ...globals, json: true };
    else if (arg === '--config-dir') {
      const value = argv[++index];
      if (value === undefined) return usageFailure(io, 'option --config-dir needs a value');
      globals = { ...globals, 'config-dir': value };
    } else if (arg.startsWith('--config-dir=')) globals = { ...globals, 'config-dir': arg.slice('--config-dir='.length) };
    else if (arg === '--version' || arg === '-V') {
      write(io.stdout, `toq-gateway ${packageVersion()}`);
      return EXIT_OK;
    } else if (arg === '--help' || arg === '-h') {
      write(io.stdout, overview());
      return EXIT_OK;
    } else break;
  }
  const name = argv[index];
  if (name === undefined) {
    write(io.stdout, `toq-gateway ${packageVersion()}: a toq protocol agent with an A2A gateway\n\n${overview()}`);
    return EXIT_OK;
  }
  if (name === 'help') {
    const target = COMMANDS.find((c) => c.name === argv[index + 1]);
    write(io.stdout, target ? `usage: ${target.usage.replace(/\n/g, '\n       ')}` : overview());
    return EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.name === name);
  if (command === undefined) return usageFailure(io, `unknown command "${name}" (toq --help lists them)`);
  try {
    return (await command.run({ args: argv.slice(index + 1), globals, io })) ?? EXIT_OK;
  } catch (err) {
    if (err instanceof UsageError) {
      write(io.stderr, `error: ${err.message}\nusage: ${command.usage.replace(/\n/g, '\n       ')}`);
      return EXIT_USAGE;
    }
    if (err instanceof CliError) {
      write(io.stderr, `error: ${err.message}`);
      return err.exitCode;
    }
    const message = err instanceof Error ? err.message : String(err);
    write(io.stderr, `error: ${message}`);
    if (io.env['TOQ_DEBUG'] && err instanceof Error && err.stack) write(io.stderr, err.stack);
    return EXIT_ERROR;
  }
}

function usageFailure(io: CliIo, message: string): number {
  io.stderr.write(`error: ${message}\n`);
  return EXIT_USAGE;
}

function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'usage: toq [--config-dir DIR] [--json] <command> [options]',
    '',
    'commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'toq help <command> shows its options. Exit codes: 0 ok, 1 error, 2 usage, 3 daemon not running,',
    '4 peer not reachable, 5 timeout.',
  ].join('\n');
}
