// Child process of the A2A benchmark, the toq bridge case: argv[2] = "echo" starts a daemon whose
// local agent `echo` answers every message.send at once from an in-process listener on its bus,
// replying through its outbox (what a handler would do, without spawning one); argv[2] = "gw"
// with argv[3] = the echo daemon's port starts a daemon with a2a_enabled and
// `[agents.echo] toq = "toq://127.0.0.1:<port>/echo"`. Prints {"port", "url"}; exits when stdin closes.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startDaemon } from '../src/daemon/daemon.js';
import { answerCpuQueries } from './child-cpu.js';

const role = process.argv[2];
const dir = mkdtempSync(join(tmpdir(), `toq-bench-${role}-`));
const config =
  role === 'echo'
    ? 'host = "127.0.0.1"\nconnection_mode = "open"\n'
    : `host = "127.0.0.1"\na2a_enabled = true\n[agents.echo]\ntoq = "toq://127.0.0.1:${process.argv[3]}/echo"\n`;
writeFileSync(join(dir, 'config.toml'), config);
const daemon = await startDaemon({ configDir: dir, log: pino({ level: 'warn' }), port: 0, bindAddress: '127.0.0.1', overrides: { agentName: role === 'echo' ? 'echo' : 'gw' } });
if (role === 'echo') {
  daemon.bus.subscribe({ type: 'message.send' }, (m) => {
    if (m.from === daemon.address) return; // our own replies come through the bus too
    const text = (m.body as { text?: unknown } | undefined)?.text;
    void daemon.outbox.enqueueDurably({ agent: 'echo', to: m.from, ...(m.thread_id !== undefined && { thread_id: m.thread_id }), body: { text: `echo: ${typeof text === 'string' ? text : ''}` } });
  });
}
process.stdout.write(JSON.stringify({ port: daemon.port, url: `http://127.0.0.1:${daemon.port}/a2a/echo` }) + '\n');
answerCpuQueries();
process.stdin.resume();
process.stdin.on('end', () =>
  void daemon.stop().then(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  }),
);
