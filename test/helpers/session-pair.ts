// An established pair of ToqSessions over a given transport: the real setup machines run over
// it (handshake, negotiation, card), then each side gets a ToqSession. Used by the session
// conformance suite, which runs once over an in-memory duplex pair and once over loopback TLS.

import { once } from 'node:events';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, createServer, type TLSSocket } from 'node:tls';
import pino from 'pino';
import { createAddress, formatAddress } from '../../src/protocol/address.js';
import { buildLocalCard } from '../../src/protocol/card.js';
import { MAGIC } from '../../src/protocol/constants.js';
import { generateIdentity, type Identity } from '../../src/protocol/ed25519.js';
import { DedupWindow } from '../../src/protocol/envelope-checks.js';
import type { Envelope } from '../../src/protocol/envelope.js';
import { InitiatorSetup } from '../../src/protocol/initiator-setup.js';
import { ReceiverSetup } from '../../src/protocol/receiver-setup.js';
import { runSetup, type SetupResult } from '../../src/transport/setup-driver.js';
import { toqClientTlsOptions, tlsServerOptions } from '../../src/transport/tls-options.js';
import { ToqSession, type ToqSessionOptions } from '../../src/transport/toq-session.js';
import { routeByPrefix } from '../../src/mux/prefix-router.js';
import { testCertificate } from './certs.js';
import { createDuplexPair } from './duplex-pair.js';
import { closeServer, listenOnLoopback } from './ports.js';

export interface SessionPair {
  readonly initiator: ToqSession;
  readonly receiver: ToqSession;
  /** Messages the receiver delivered, in order. */
  readonly delivered: Envelope[];
  close(): Promise<void>;
}

export type Transport = () => Promise<{ initiatorSide: Duplex; receiverSide: Duplex; cleanup(): Promise<void> }>;

export type SessionTuning = Partial<Pick<ToqSessionOptions, 'heartbeatIntervalMs' | 'heartbeatTimeoutMs' | 'ackTimeoutMs' | 'onEnvelope' | 'closeDrainMs'>>;

export const memoryTransport: Transport = async () => {
  const [initiatorSide, receiverSide] = createDuplexPair();
  // The receiver's magic is consumed by the mux in real life; here the pair carries it raw.
  return { initiatorSide, receiverSide, cleanup: async () => undefined };
};

export const tlsTransport: Transport = async () => {
  const server = createServer(tlsServerOptions(testCertificate()));
  const accepted: Promise<TLSSocket> = new Promise((resolve) => {
    server.once('secureConnection', (socket: TLSSocket) => resolve(socket));
  });
  const port = await listenOnLoopback(server);
  const initiatorSide = tlsConnect({ host: '127.0.0.1', port, ...toqClientTlsOptions() });
  await once(initiatorSide, 'secureConnect');
  const receiverSide = await accepted;
  return {
    initiatorSide,
    receiverSide,
    cleanup: async () => {
      initiatorSide.destroy();
      receiverSide.destroy();
      await closeServer(server);
    },
  };
};

function agent(name: string, port: number): { identity: Identity; address: string; name: string } {
  return { identity: generateIdentity(), address: formatAddress(createAddress('127.0.0.1', name, port)), name };
}

/** Strips the 4 magic bytes on the receiver side (the mux's job in the daemon). */
function afterMagic(socket: Duplex): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    routeByPrefix(socket as never, {
      prefix: MAGIC,
      timeoutMs: 5_000,
      consumePrefix: true,
      phase: 'magic',
      log: pino({ level: 'silent' }),
      onMatch: (s) => resolve(s),
      onOther: () => reject(new Error('no magic')),
    });
  });
}

export async function establishPair(transport: Transport, tuning: { initiator?: SessionTuning; receiver?: SessionTuning } = {}): Promise<SessionPair> {
  const log = pino({ level: 'silent' });
  const { initiatorSide, receiverSide, cleanup } = await transport();
  const alice = agent('alice', 1001);
  const bob = agent('bob', 1002);
  const initiatorMachine = new InitiatorSetup({
    identity: alice.identity,
    address: alice.address,
    card: buildLocalCard({ name: 'alice', publicKeyText: alice.identity.publicKeyText, connectionMode: 'open' }),
    targetAgent: 'bob',
    now: Date.now,
  });
  const receiverMachine = new ReceiverSetup({
    resolveAgent: () => ({ identity: bob.identity, address: bob.address, card: buildLocalCard({ name: 'bob', publicKeyText: bob.identity.publicKeyText, connectionMode: 'open' }) }),
    now: Date.now,
  });
  const [initiatorSetup, receiverSetup] = await Promise.all([
    runSetup({ socket: initiatorSide, machine: initiatorMachine, log }),
    afterMagic(receiverSide).then((s) => runSetup({ socket: s, machine: receiverMachine, log, decide: async () => 'accept' })),
  ]);
  const delivered: Envelope[] = [];
  const make = (direction: 'inbound' | 'outbound', socket: Duplex, setup: SetupResult, t: SessionTuning = {}): ToqSession => {
    const e = setup.established;
    return new ToqSession({
      direction,
      socket,
      peer: e.peer,
      local: e.local,
      nextSendSequence: e.nextSendSequence,
      lastReceivedSequence: e.lastReceivedSequence,
      decoder: setup.decoder,
      pendingFrames: setup.pendingFrames,
      dedup: new DedupWindow({ now: Date.now }),
      log,
      ...t,
      onEnvelope: async (envelope, session) => {
        await t.onEnvelope?.(envelope, session);
        if (direction === 'inbound') delivered.push(envelope);
      },
    });
  };
  const initiator = make('outbound', initiatorSide, initiatorSetup, tuning.initiator);
  const receiver = make('inbound', receiverSide, receiverSetup, tuning.receiver);
  return {
    initiator,
    receiver,
    delivered,
    close: async () => {
      await Promise.all([initiator.close(), receiver.close()]);
      await cleanup();
    },
  };
}
