// What every command runs with: the resolved workspace, the output mode (--json or text), the
// streams and the environment. Built from the parsed global options; it reads nothing itself
// except what resolving the config dir needs (spec §6).

import { resolveConfigDir, workspacePaths, type WorkspacePaths } from '../workspace/workspace-paths.js';

/** The process around the CLI; tests and main.ts pass the real one. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
}

export interface CliContext {
  readonly io: CliIo;
  /** `--config-dir` as given (undefined when absent); init needs to know. */
  readonly configDirFlag: string | undefined;
  readonly configDir: string;
  readonly paths: WorkspacePaths;
  readonly isJson: boolean;
  /** Whether prompts may be shown: stdin is a terminal. */
  readonly isInteractive: boolean;
  /** One line (or several) of result text on stdout. */
  out(text: string): void;
  /** Progress and notes on stderr (never mixed into --json output). */
  note(text: string): void;
  /** A JSON document on stdout. */
  json(value: unknown): void;
}

export function createCliContext(io: CliIo, options: { readonly configDir?: string | undefined; readonly isJson?: boolean | undefined }): CliContext {
  const configDir = resolveConfigDir(options.configDir, io.env, io.cwd);
  return {
    io,
    configDirFlag: options.configDir,
    configDir,
    paths: workspacePaths(configDir),
    isJson: options.isJson ?? false,
    isInteractive: io.stdin.isTTY === true,
    out: (text) => void io.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
    note: (text) => void io.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
    json: (value) => void io.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
  };
}
