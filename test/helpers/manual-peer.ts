// A toq peer under the test's full control: it runs the real initiator setup (so it passes the
// handshake, negotiation and card exchange), then lets the test write any envelope — a reused
// sequence number, a repeated id, a bad signature, an unknown type, raw bytes — and read what
// comes back. Everything it waits for has a deadline, so a broken server fails instead of hanging.

import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { once } from 'node:events';
import pino from 'pino';
import { buildLocalCard } from '../../src/protocol/card.js';
import { createEnvelope, envelopeSigningBytes, parseEnvelope, serializeEnvelope, type Envelope, type EnvelopeFields } from '../../src/protocol/envelope.js';
import type { JsonValue } from '../../src/protocol/json-value.js';
import type { MessageType } from '../../src/protocol/message-types.js';
import { generateIdentity, signToText, type Identity } from '../../src/protocol/ed25519.js';
import { encodeFrame, FrameDecoder } from '../../src/protocol/frame.js';
import { InitiatorSetup } from '../../src/protocol/initiator-setup.js';
import { runSetup, type Established, type SetupTimeouts } from '../../src/transport/setup-driver.js';
import { toqClientTlsOptions } from '../../src/transport/tls-options.js';

export interface ManualPeerOptions {
  readonly port: number;
  readonly targetAgent?: string;
  readonly identity?: Identity;
  /** Our claimed address. @default toq://127.0.0.1:1/manual */
  readonly address?: string;
  readonly timeouts?: SetupTimeouts;
}

export class ManualPeer {
  readonly received: Envelope[] = [];
  private nextSequence: bigint;
  private readonly waiters = new Set<() => void>();
  private isEnded = false;
  private decodeError: Error | undefined;

  private constructor(
    readonly socket: TLSSocket,
    readonly established: Established,
    readonly identity: Identity,
    decoder: FrameDecoder,
    pendingFrames: readonly Buffer[],
  ) {
    this.nextSequence = established.nextSendSequence;
    for (const frame of pendingFrames) this.onFrame(frame);
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) this.onFrame(frame);
      } catch (err) {
        this.decodeError = err as Error;
      }
      this.notify();
    });
    socket.on('error', () => undefined); // resets are an expected outcome in these tests
    socket.on('close', () => {
      this.isEnded = true;
      this.notify();
    });
  }

  /** TLS to 127.0.0.1:port, the magic, then the real initiator setup. */
  static async connect(options: ManualPeerOptions): Promise<ManualPeer> {
    const identity = options.identity ?? generateIdentity();
    const socket = await openTls(options.port);
    const address = options.address ?? 'toq://127.0.0.1:1/manual';
    const machine = new InitiatorSetup({
      identity,
      address,
      card: buildLocalCard({ name: 'manual', publicKeyText: identity.publicKeyText, connectionMode: 'open' }),
      ...(options.targetAgent !== undefined && { targetAgent: options.targetAgent }),
      now: Date.now,
    });
    const result = await runSetup({ socket, machine, log: pino({ level: 'silent' }), ...(options.timeouts && { timeouts: options.timeouts }) });
    return new ManualPeer(socket, result.established, identity, result.decoder, result.pendingFrames);
  }

  get isClosed(): boolean {
    return this.isEnded;
  }

  get peerAddress(): string {
    return this.established.peer.address;
  }

  /** Builds and signs an envelope from us to the peer; sequence defaults to the next one. */
  envelope(fields: Partial<EnvelopeFields> & Pick<EnvelopeFields, 'type'>): Envelope {
    const sequence = fields.sequence ?? this.nextSequence;
    if (sequence >= this.nextSequence) this.nextSequence = sequence + 1n;
    return createEnvelope(
      { from: this.established.local.address, to: this.peerAddress, ...fields, sequence },
      this.identity,
      Date.now,
    );
  }

  sendEnvelope(envelope: Envelope): void {
    this.socket.write(encodeFrame(serializeEnvelope(envelope)));
  }

  /** Sends and returns the envelope. */
  send(fields: Partial<EnvelopeFields> & Pick<EnvelopeFields, 'type'>): Envelope {
    const envelope = this.envelope(fields);
    this.sendEnvelope(envelope);
    return envelope;
  }

  /**
   * Sends a correctly signed envelope whose `type` we do not know (a future protocol version):
   * our builder refuses unknown types, so this signs the canonical bytes directly.
   */
  sendUnknownType(type: string, body: JsonValue): Envelope {
    const base = this.envelope({ type: 'message.send', body });
    const unsigned = { ...base, type: type as MessageType } as Omit<Envelope, 'signature'> & { signature?: string };
    delete unsigned.signature;
    const envelope: Envelope = { ...unsigned, signature: signToText(this.identity, envelopeSigningBytes(unsigned)) };
    this.sendEnvelope(envelope);
    return envelope;
  }

  writeRaw(bytes: Uint8Array | string): void {
    this.socket.write(bytes);
  }

  /** Writes one frame around arbitrary payload bytes. */
  writeFrame(payload: Uint8Array | string): void {
    this.socket.write(encodeFrame(typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload));
  }

  /** Waits for an envelope matching `predicate` (already received ones count). */
  async waitFor(predicate: (e: Envelope) => boolean, timeoutMs = 5_000): Promise<Envelope> {
    return this.until(() => this.received.find(predicate), timeoutMs, 'envelope');
  }

  async waitForAck(id: string, timeoutMs = 5_000): Promise<Envelope> {
    return this.waitFor((e) => e.type === 'message.ack' && (e.body as { ack_id?: unknown } | undefined)?.ack_id === id, timeoutMs);
  }

  /** Resolves when the connection is closed by the other side. */
  async waitClosed(timeoutMs = 5_000): Promise<void> {
    await this.until(() => (this.isEnded ? true : undefined), timeoutMs, 'close');
  }

  close(): void {
    this.socket.destroy();
  }

  private onFrame(frame: Buffer): void {
    this.received.push(parseEnvelope(frame, { allowUnknownType: true }));
  }

  private notify(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): boolean => {
        if (this.decodeError) {
          finish();
          reject(this.decodeError);
          return true;
        }
        const value = probe();
        if (value !== undefined) {
          finish();
          resolve(value);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
      };
      const wake = (): void => void check();
      this.waiters.add(wake);
      check();
    });
  }
}

/** TLS to a loopback toq port with the same options our endpoint uses. */
export async function openTls(port: number): Promise<TLSSocket> {
  const socket = tlsConnect({ host: '127.0.0.1', port, ...toqClientTlsOptions() });
  socket.setNoDelay(true);
  await once(socket, 'secureConnect');
  return socket;
}
