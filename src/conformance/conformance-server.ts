// `toq conformance --serve`: a toq receiver that records what each connecting implementation
// sends and checks it (serve-checks.ts). It answers like a reference receiver in open mode
// (credentials, negotiate.response, card; acks, heartbeat acks; stops on session.disconnect,
// §3.4, §8) so that a real sender goes through its whole conversation. One report per connection.

import { createServer, type Server, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { once } from 'node:events';
import pino, { type Logger } from 'pino';
import { createAddress, formatAddress } from '../protocol/address.js';
import { buildLocalCard } from '../protocol/card.js';
import type { LocalAgent } from '../protocol/connection-setup.js';
import { MAGIC } from '../protocol/constants.js';
import { generateIdentity, type Identity } from '../protocol/ed25519.js';
import { createEnvelope, serializeEnvelope, type Envelope, type EnvelopeFields } from '../protocol/envelope.js';
import { RejectedError } from '../protocol/errors.js';
import { encodeFrame } from '../protocol/frame.js';
import { isAckedType } from '../protocol/message-types.js';
import { ReceiverSetup } from '../protocol/receiver-setup.js';
import { splitAfterTls } from '../mux/tls-after-peek.js';
import { runSetup, type SetupResult, type SetupTimeouts } from '../transport/setup-driver.js';
import { createSelfSignedCertificate } from '../transport/tls-certificate.js';
import { tlsServerOptions } from '../transport/tls-options.js';
import { buildReport, type ConformanceReport } from './conformance-report.js';
import { FrameTap } from './frame-tap.js';
import { ScriptConnection } from './script-connection.js';
import { checkInboundTranscript, type InboundTranscript } from './serve-checks.js';

export interface ConformanceServerOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** Interface to listen on. @default "127.0.0.1" */
  readonly bindAddress?: string;
  /** The host in our own address. @default "127.0.0.1" */
  readonly host?: string;
  /** Our agent name. @default "conformance" */
  readonly name?: string;
  /** @default a fresh identity */
  readonly identity?: Identity;
  /** A session that sends nothing for this long is ended by us (reported as `idle`). @default 10000 */
  readonly idleMs?: number;
  /** @default the reference's 5 s per phase */
  readonly setupTimeouts?: SetupTimeouts;
  /** Report only these check ids. @default all */
  readonly only?: readonly string[];
  /** Each connection's report, as soon as the connection is over. */
  readonly onReport?: (report: ConformanceReport) => void;
  readonly log?: Logger;
}

export interface ConformanceServer {
  readonly port: number;
  /** Our canonical address, e.g. `toq://127.0.0.1:40123/conformance`. */
  readonly address: string;
  readonly publicKeyText: string;
  readonly reports: readonly ConformanceReport[];
  /** Resolves once `n` connections were reported, or when `signal` aborts (with what there is). */
  waitForReports(n: number, signal?: AbortSignal): Promise<ConformanceReport[]>;
  close(): Promise<void>;
}

const DEFAULT_IDLE_MS = 10_000;

export async function startConformanceServer(options: ConformanceServerOptions = {}): Promise<ConformanceServer> {
  const log = options.log ?? pino({ level: 'silent' });
  const identity = options.identity ?? generateIdentity();
  const name = options.name ?? 'conformance';
  const idleMs = options.idleMs ?? DEFAULT_IDLE_MS;
  const reports: ConformanceReport[] = [];
  const waiters = new Set<() => void>();
  const sockets = new Set<Socket>();
  let connections = 0;
  // Our address needs the bound port; connections cannot arrive before it is set.
  const bound: { agent?: LocalAgent } = {};

  const publish = (report: ConformanceReport): void => {
    reports.push(report);
    options.onReport?.(report);
    for (const wake of [...waiters]) wake();
  };

  const finish = (n: number, remote: string, transcript: InboundTranscript, info: Record<string, string | number>): void => {
    const checks = checkInboundTranscript(transcript, { name, address: bound.agent!.address });
    const results = options.only && options.only.length > 0 ? checks.filter((c) => options.only!.includes(c.id)) : checks;
    publish(buildReport('toq-serve', (info.peer_address as string | undefined) ?? remote, transcript.startedAt, results, Date.now(), { connection: n, remote, ...info }));
  };

  const onMagic = (socket: TLSSocket, magic: Buffer): void => {
    const n = ++connections;
    void serveConnection(socket, magic.toString('hex'), n).catch((err: unknown) => log.error({ err }, 'conformance connection failed'));
  };

  const onOther = (socket: TLSSocket): void => {
    const n = ++connections;
    const startedAt = Date.now();
    const done = (bytes: Buffer): void => {
      clearTimeout(timer);
      socket.destroy();
      const transcript: InboundTranscript = {
        startedAt,
        tlsVersion: socket.getProtocol() ?? undefined,
        magicHex: bytes.subarray(0, 4).toString('hex'),
        frames: [],
        times: [],
        end: 'closed',
        endDetail: 'the first bytes were not the toq magic',
      };
      finish(n, socket.remoteAddress ?? 'unknown', transcript, {});
    };
    const timer = setTimeout(() => done(Buffer.alloc(0)), 1_000);
    socket.once('data', (chunk: Buffer) => done(chunk));
  };

  async function serveConnection(socket: TLSSocket, magicHex: string, n: number): Promise<void> {
    const startedAt = Date.now();
    const remote = `${socket.remoteAddress ?? 'unknown'}:${socket.remotePort ?? 0}`;
    const tap = new FrameTap(socket);
    const local = bound.agent!;
    const machine = new ReceiverSetup({ resolveAgent: () => local, now: Date.now });
    const info: Record<string, string | number> = {};
    let setup: SetupResult | undefined;
    let setupError: string | undefined;
    let end: InboundTranscript['end'] = 'closed';
    let endDetail = 'the peer closed the connection';
    try {
      setup = await runSetup({
        socket,
        machine,
        log,
        decide: async (peer) => {
          info.peer_address = peer.address;
          info.peer_key = peer.publicKeyText;
          return 'accept';
        },
        ...(options.setupTimeouts !== undefined && { timeouts: options.setupTimeouts }),
      });
    } catch (err) {
      setupError = err instanceof Error ? err.message : String(err);
      end = err instanceof RejectedError && err.code === 'closed' ? 'closed' : 'error';
      endDetail = setupError;
    }
    if (setup !== undefined) ({ end, endDetail } = await answerSession(socket, setup));
    socket.end();
    setTimeout(() => socket.destroy(), 500).unref();
    tap.detach();
    const transcript: InboundTranscript = {
      startedAt,
      tlsVersion: socket.getProtocol() ?? undefined,
      magicHex,
      frames: tap.frames,
      times: tap.times,
      ...(tap.error !== undefined && { framingError: tap.error.message }),
      ...(setupError !== undefined && { setupError }),
      end,
      endDetail,
    };
    finish(n, remote, transcript, info);
  }

  /** Plays a reference receiver's loop (§8) until disconnect, close, a bad frame or our idle limit. */
  async function answerSession(socket: TLSSocket, setup: SetupResult): Promise<Pick<InboundTranscript, 'end' | 'endDetail'>> {
    const { peer, local, nextSendSequence } = setup.established;
    const connection = new ScriptConnection(socket, setup.decoder, setup.pendingFrames, peer.keyObject);
    let sequence = nextSendSequence;
    const reply = (fields: Pick<EnvelopeFields, 'type'> & Partial<EnvelopeFields>): void => {
      const env = createEnvelope({ from: local.address, to: peer.address, sequence, ...fields }, local.identity, Date.now);
      sequence += 1n;
      connection.write(encodeFrame(serializeEnvelope(env)));
    };
    for (;;) {
      const event = await connection.next(idleMs);
      switch (event.kind) {
        case 'timeout':
          return { end: 'idle', endDetail: `nothing for ${idleMs} ms; closed by the conformance server` };
        case 'closed':
          return { end: 'closed', endDetail: event.reason };
        case 'bad-frame':
          // The reference ends the connection on the first frame it cannot parse or verify (§8).
          return { end: 'error', endDetail: event.reason };
        case 'envelope': {
          const env: Envelope = event.envelope;
          if (isAckedType(env.type)) reply({ type: 'message.ack', body: { ack_id: env.id } });
          else if (env.type === 'system.heartbeat') reply({ type: 'system.heartbeat.ack', reply_to: env.id });
          else if (env.type === 'session.disconnect') return { end: 'disconnect', endDetail: 'session.disconnect' };
        }
      }
    }
  }

  const certificate = createSelfSignedCertificate({ altNames: ['localhost'] });
  const acceptor = splitAfterTls({
    // TLS 1.2 is let in so that the tls-version check can report it instead of a failed handshake.
    tlsOptions: { ...tlsServerOptions(certificate), minVersion: 'TLSv1.2' },
    magic: MAGIC,
    log,
    onMagic,
    onOther,
  });
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    acceptor.accept(socket);
  });
  server.listen(options.port ?? 0, options.bindAddress ?? '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const address = formatAddress(createAddress(options.host ?? '127.0.0.1', name, port));
  bound.agent = {
    identity,
    address,
    card: buildLocalCard({ name, publicKeyText: identity.publicKeyText, connectionMode: 'open' }),
  };

  return {
    port,
    address,
    publicKeyText: identity.publicKeyText,
    reports,
    waitForReports: (n, signal) =>
      new Promise((resolve) => {
        const check = (): void => {
          if (reports.length < n && signal?.aborted !== true) return;
          waiters.delete(check);
          signal?.removeEventListener('abort', check);
          resolve([...reports]);
        };
        waiters.add(check);
        signal?.addEventListener('abort', check, { once: true });
        check();
      }),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
