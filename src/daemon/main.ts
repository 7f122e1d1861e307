#!/usr/bin/env node
// Entry point: `toq-gateway [up]` starts the gateway in the foreground with embedded defaults
// (workspace keys created on first start); `toq-gateway send <address> <text>` sends one
// message over a direct connection and waits for the ack. The full reference CLI (`toq ...`)
// and the local API build on the same pieces.

import { parseArgs } from 'node:util';
import pino from 'pino';
import { canonicalAddress } from '../protocol/address.js';
import { GatewayError } from '../protocol/errors.js';
import { toJsonText } from '../local-api/json-text.js';
import { startDaemon } from './daemon.js';
import { startGateway } from './gateway.js';
import { loadOrCreateIdentity, loadOrCreateTlsCredentials } from '../workspace/identity-files.js';
import { resolveConfigDir } from '../workspace/workspace-paths.js';

const USAGE = `usage:
  toq-gateway [up] [--port 9009] [--host localhost] [--name agent] [--mode approval|open|allowlist|dns-verified]
  toq-gateway send <toq://host:port/name> <text> [--thread-id ID] [--close-thread]
options: --config-dir DIR (default: $TOQ_CONFIG_DIR, ./.toq, ~/.toq), --log-level info`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      name: { type: 'string' },
      mode: { type: 'string' },
      'config-dir': { type: 'string' },
      'thread-id': { type: 'string' },
      'close-thread': { type: 'boolean' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const command = positionals[0] ?? 'up';
  const log = pino({ level: values['log-level'] ?? 'info' }, pino.destination(2));
  const configDir = resolveConfigDir(values['config-dir'], process.env, process.cwd());
  const identity = loadOrCreateIdentity(configDir);
  const name = values.name ?? 'agent';

  if (command === 'up') {
    const daemon = await startDaemon({
      configDir,
      log,
      register: true,
      ...(values.port !== undefined && { port: parsePort(values.port) }),
      overrides: {
        ...(values.name !== undefined && { agentName: values.name }),
        ...(values.host !== undefined && { host: values.host }),
        ...(values.mode !== undefined && { connectionMode: values.mode }),
      },
    });
    // Incoming messages go to stdout, one JSON line each (the same stream SDKs read over SSE);
    // logs go to stderr.
    const unsubscribe = daemon.bus.subscribe({}, (message) => {
      if (message.from !== daemon.address) process.stdout.write(toJsonText(message) + '\n');
    });
    process.once('SIGINT', () => void daemon.stop());
    process.once('SIGTERM', () => void daemon.stop());
    await daemon.stopped;
    unsubscribe();
    return 0;
  }

  if (command === 'send') {
    const [, target, text] = positionals;
    if (!target || text === undefined) {
      console.error(USAGE);
      return 2;
    }
    const to = canonicalAddress(target);
    // A sender needs no listening port of its own: bind an ephemeral loopback one.
    const gateway = await startGateway({ port: 0, bindAddress: '127.0.0.1', agents: [{ name, identity }], log, certificate: loadOrCreateTlsCredentials(configDir) });
    try {
      const outcome = await gateway.endpoint.send(to, {
        type: values['close-thread'] === true ? 'thread.close' : 'message.send',
        body: { text },
        content_type: 'application/json',
        thread_id: values['thread-id'] ?? crypto.randomUUID(),
      });
      if (outcome.status !== 'error') {
        console.log(JSON.stringify({ status: 'delivered', id: outcome.id, to }));
        return 0;
      }
      console.log(JSON.stringify({ status: 'error', id: outcome.id, code: outcome.code, message: outcome.message }));
      return 4;
    } catch (err) {
      // The reference's texts for an unreachable peer (local-API spec §3.1).
      const code = (err as { code?: string }).code ?? 'error';
      const message = code === 'ECONNREFUSED' ? `no agent running at ${to}` : (err as Error).message;
      console.log(JSON.stringify({ status: 'error', code, message }));
      return 4;
    } finally {
      await gateway.close();
    }
  }

  console.error(`unknown command "${command}"\n${USAGE}`);
  return 2;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`--port must be an integer from 0 to 65535, got "${text}"`);
  return port;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const code = err instanceof GatewayError ? err.code : undefined;
    console.error(`error: ${(err as Error).message}${code ? ` (${code})` : ''}`);
    process.exit(1);
  },
);
