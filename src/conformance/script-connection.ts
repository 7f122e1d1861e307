// One established toq connection as a session script sees it: raw writes out, and a queue of
// what came in (verified envelopes, frames that do not parse or verify, the close), read one
// event at a time under a deadline. It answers nothing by itself; the script runner decides.

import type { KeyObject } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { parseEnvelope, verifyEnvelope, type Envelope } from '../protocol/envelope.js';
import type { FrameDecoder } from '../protocol/frame.js';

export type ConnectionEvent =
  | { readonly kind: 'envelope'; readonly envelope: Envelope }
  /** A frame that is not a valid envelope from this peer: the peer broke the protocol. */
  | { readonly kind: 'bad-frame'; readonly reason: string }
  | { readonly kind: 'closed'; readonly reason: string }
  | { readonly kind: 'timeout' };

export class ScriptConnection {
  private readonly queue: ConnectionEvent[] = [];
  private closedReason: string | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly socket: Duplex,
    decoder: FrameDecoder,
    pendingFrames: readonly Buffer[],
    private readonly peerKey: KeyObject,
  ) {
    for (const frame of pendingFrames) this.onFrame(frame);
    socket.on('data', (chunk: Buffer) => {
      if (this.closedReason !== undefined) return;
      try {
        for (const frame of decoder.push(chunk)) this.onFrame(frame);
      } catch (err) {
        this.queue.push({ kind: 'bad-frame', reason: (err as Error).message });
      }
      this.notify();
    });
    // The reference drops connections without close_notify (§3.2): EOF, reset and close all mean "closed".
    socket.on('end', () => this.markClosed('the peer closed the connection'));
    socket.on('close', () => this.markClosed('the connection closed'));
    socket.on('error', (err: Error) => this.markClosed(`connection error: ${err.message}`));
  }

  get isClosed(): boolean {
    return this.closedReason !== undefined;
  }

  write(bytes: Uint8Array): void {
    if (this.closedReason === undefined && !this.socket.destroyed) this.socket.write(bytes);
  }

  /**
   * The next event, or `timeout` when nothing arrives within `ms`. After the queue is empty and
   * the connection closed, every call returns the close.
   */
  next(ms: number, signal?: AbortSignal): Promise<ConnectionEvent> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.closedReason !== undefined) return Promise.resolve({ kind: 'closed', reason: this.closedReason });
    return new Promise((resolve, reject) => {
      const finish = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.wake = undefined;
      };
      const onAbort = (): void => {
        finish();
        reject(signal!.reason as Error);
      };
      const timer = setTimeout(() => {
        finish();
        resolve({ kind: 'timeout' });
      }, ms);
      this.wake = () => {
        const event = this.queue.shift() ?? (this.closedReason !== undefined ? { kind: 'closed' as const, reason: this.closedReason } : undefined);
        if (event === undefined) return;
        finish();
        resolve(event);
      };
      if (signal?.aborted === true) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onFrame(frame: Buffer): void {
    let envelope: Envelope;
    try {
      envelope = parseEnvelope(frame, { allowUnknownType: true });
    } catch (err) {
      this.queue.push({ kind: 'bad-frame', reason: `frame does not parse as an envelope: ${(err as Error).message}` });
      return;
    }
    if (!verifyEnvelope(envelope, this.peerKey)) {
      this.queue.push({ kind: 'bad-frame', reason: `${envelope.type} ${envelope.id} has a signature that does not verify with the handshake key` });
      return;
    }
    this.queue.push({ kind: 'envelope', envelope });
  }

  private markClosed(reason: string): void {
    this.closedReason ??= reason;
    this.notify();
  }

  private notify(): void {
    this.wake?.();
  }
}
