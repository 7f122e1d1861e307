// A raw client for misbehaving-peer tests: plain TCP or TLS to a loopback port, writes any
// bytes (also before or instead of a TLS handshake), records everything it receives and how
// the connection ended. Every wait has a timeout, so a broken server fails a test instead of hanging it.

import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { FrameDecoder } from '../../src/protocol/frame.js';
import { toqClientTlsOptions } from '../../src/transport/tls-options.js';

export interface RawTlsOptions {
  /** Ticket from an earlier connection, to try resumption. */
  session?: Buffer;
  /** Overrides for tls.connect (e.g. maxVersion: 'TLSv1.2' to test refusal). */
  overrides?: ConnectionOptions;
}

export class RawPeer {
  private readonly chunks: Buffer[] = [];
  private closed = false;
  private readonly waiters = new Set<() => void>();
  /** Errors the socket reported (ECONNRESET and the like); kept for assertions, never thrown. */
  readonly errors: Error[] = [];
  /** Tickets received (TLS only). */
  readonly sessions: Buffer[] = [];

  private constructor(readonly socket: Socket | TLSSocket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      this.notify();
    });
    socket.on('error', (err) => this.errors.push(err));
    socket.on('close', () => {
      this.closed = true;
      this.notify();
    });
    socket.on('session', (session: Buffer) => {
      this.sessions.push(session);
      this.notify();
    });
  }

  /** Plain TCP; resolves once connected. */
  static async connectPlain(port: number): Promise<RawPeer> {
    const socket = connectTcp({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawPeer(socket);
  }

  /** TLS with the toq client options; resolves after the handshake. */
  static async connectTls(port: number, options: RawTlsOptions = {}): Promise<RawPeer> {
    const base = toqClientTlsOptions(options.session === undefined ? {} : { session: options.session });
    // Overrides (e.g. TLS versions) only take effect without the shared secure context.
    if (options.overrides !== undefined) delete base.secureContext;
    const socket = connectTls({ host: '127.0.0.1', port, ...base, ...options.overrides });
    const peer = new RawPeer(socket);
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
      socket.once('close', () => reject(new Error('closed during the TLS handshake')));
    });
    return peer;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Everything received so far, concatenated. */
  received(): Buffer {
    return Buffer.concat(this.chunks);
  }

  write(bytes: Uint8Array | string): void {
    this.socket.write(bytes);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** Resolves when `n` bytes have arrived in total. */
  async waitForBytes(n: number, timeoutMs = 2_000): Promise<Buffer> {
    await this.waitUntil(() => this.received().length >= n || this.closed, timeoutMs, `${n} bytes`);
    const all = this.received();
    if (all.length < n) throw new Error(`closed after ${all.length} of ${n} bytes`);
    return all;
  }

  /** Decodes length-prefixed frames from what was received and returns the first `count` of them. */
  async readFrames(count: number, timeoutMs = 2_000): Promise<Buffer[]> {
    const decode = (): Buffer[] => new FrameDecoder().push(this.received());
    await this.waitUntil(() => decode().length >= count || this.closed, timeoutMs, `${count} frames`);
    const frames = decode();
    if (frames.length < count) throw new Error(`closed after ${frames.length} of ${count} frames`);
    return frames.slice(0, count);
  }

  /** Resolves when the server has closed the connection (FIN, RST or destroy). */
  async waitForClose(timeoutMs = 2_000): Promise<void> {
    await this.waitUntil(() => this.closed, timeoutMs, 'close');
  }

  /** Resolves when a TLS session ticket has arrived (TLS 1.3 sends them after the handshake). */
  async waitForSession(timeoutMs = 2_000): Promise<Buffer> {
    await this.waitUntil(() => this.sessions.length > 0, timeoutMs, 'a session ticket');
    return this.sessions[this.sessions.length - 1]!;
  }

  private notify(): void {
    for (const waiter of this.waiters) waiter();
  }

  private waitUntil(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const check = (): void => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }
}
