// Child process of the wire benchmark: one gateway (open mode) that acks everything it gets.
// Prints {"port": N, "address": "..."} on stdout when listening; exits when stdin closes.

import pino from 'pino';
import { startGateway } from '../src/daemon/gateway.js';
import { generateIdentity } from '../src/protocol/ed25519.js';

const gateway = await startGateway({
  port: 0,
  bindAddress: '127.0.0.1',
  agents: [{ name: 'bench-receiver', identity: generateIdentity() }],
  connectionMode: 'open',
  log: pino({ level: 'warn' }),
});
process.stdout.write(JSON.stringify({ port: gateway.port, address: gateway.addressOf() }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => void gateway.close().then(() => process.exit(0)));
