// A toq receiver that completes connection setup with the real receiver machine, then goes
// silent: it reads and answers nothing. For heartbeat-timeout and ack-timeout tests.

import { createServer, type Server, type TLSSocket } from 'node:tls';
import pino from 'pino';
import { createAddress, formatAddress } from '../../src/protocol/address.js';
import { buildLocalCard } from '../../src/protocol/card.js';
import { MAGIC } from '../../src/protocol/constants.js';
import { generateIdentity } from '../../src/protocol/ed25519.js';
import { ReceiverSetup } from '../../src/protocol/receiver-setup.js';
import { routeByPrefix } from '../../src/mux/prefix-router.js';
import { runSetup } from '../../src/transport/setup-driver.js';
import { tlsServerOptions } from '../../src/transport/tls-options.js';
import { testCertificate } from './certs.js';
import { closeServer, listenOnLoopback } from './ports.js';

export interface MuteReceiver {
  readonly address: string;
  readonly sockets: TLSSocket[];
  close(): Promise<void>;
}

export async function startMuteReceiver(name: string): Promise<MuteReceiver> {
  const identity = generateIdentity();
  const log = pino({ level: 'silent' });
  const sockets: TLSSocket[] = [];
  let address = '';
  const server: Server = createServer(tlsServerOptions(testCertificate()), (socket) => {
    sockets.push(socket);
    socket.on('error', () => undefined);
    routeByPrefix(socket, {
      prefix: MAGIC,
      timeoutMs: 5_000,
      consumePrefix: true,
      phase: 'magic',
      log,
      onOther: (s) => s.destroy(),
      onMatch: (s) => {
        const machine = new ReceiverSetup({
          resolveAgent: () => ({ identity, address, card: buildLocalCard({ name, publicKeyText: identity.publicKeyText, connectionMode: 'open' }) }),
          now: Date.now,
        });
        runSetup({ socket: s, machine, log, decide: async () => 'accept' }).then(
          () => s.pause(), // established: from now on, silence
          () => s.destroy(),
        );
      },
    });
  });
  const port = await listenOnLoopback(server);
  address = formatAddress(createAddress('127.0.0.1', name, port));
  return {
    address,
    sockets,
    close: async () => {
      for (const s of sockets) s.destroy();
      await closeServer(server);
    },
  };
}
