// Child process of the daemon benchmark: a full daemon (SQLite store, open mode) in a temporary
// workspace on the port given as argv[2]. Prints {"port", "address"} when up; exits when stdin closes.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startDaemon } from '../src/daemon/daemon.js';

const dir = mkdtempSync(join(tmpdir(), 'toq-bench-recv-'));
const daemon = await startDaemon({
  configDir: dir,
  log: pino({ level: 'warn' }),
  port: Number(process.argv[2] ?? 0),
  bindAddress: '127.0.0.1',
  overrides: { agentName: 'bench-receiver', connectionMode: 'open', host: '127.0.0.1' },
});
process.stdout.write(JSON.stringify({ port: daemon.port, address: daemon.address }) + '\n');
process.stdin.resume();
process.stdin.on('end', () =>
  void daemon.stop().then(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }),
);
