#!/usr/bin/env node
// The `toq` executable: runs the CLI on this process's argv and streams, then exits with its
// code once stdout and stderr are flushed (a piped stdout is asynchronous). All the work is in
// run-cli.ts.

import { runCli } from './run-cli.js';

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  stdin: process.stdin,
  env: process.env,
  cwd: process.cwd(),
});
process.exitCode = code;
// Leave once the output is out: an idle keep-alive socket of fetch must not hold the process.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
