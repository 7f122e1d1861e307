// The `toq` CLI run in this process (runCli) with its output captured: what a test of a command
// needs without spawning a process. stdin is empty. It runs the command; the tests assert.

import { PassThrough, Readable } from 'node:stream';
import { runCli } from '../../src/cli/run-cli.js';

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `toq <args>` in `cwd` with exactly `env` as its environment. */
export async function runCliCaptured(args: readonly string[], options: { readonly cwd: string; readonly env: Record<string, string> }): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
  stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
  const code = await runCli(args, { stdout, stderr, stdin: Readable.from([]), env: options.env, cwd: options.cwd });
  return { code, stdout: out, stderr: err };
}
