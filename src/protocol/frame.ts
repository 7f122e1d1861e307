// Frame codec (wire spec §3.3): [u32 big-endian length][payload]. The decoder is push-based
// and checks each length against the cap before buffering a single byte of the body.

import { MAGIC, MAX_FRAME_BYTES } from './constants.js';
import { ProtocolError } from './errors.js';

const HEADER_BYTES = 4;

/** One buffer per frame (length + payload), so a frame is one write and never split by Nagle. */
export function encodeFrame(payload: Uint8Array, maxFrameBytes: number = MAX_FRAME_BYTES): Buffer {
  if (payload.length > maxFrameBytes) {
    throw new ProtocolError('message_too_large', `frame length ${payload.length} exceeds max ${maxFrameBytes}`);
  }
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out.writeUInt32BE(payload.length, 0);
  out.set(payload, HEADER_BYTES);
  return out;
}

/**
 * Splits a byte stream into frames. Feed it every chunk in order; it returns the complete
 * frames so far. A length above the current cap throws at once (the reference closes the
 * connection without draining, spec §3.3). The cap can change between frames (handshake
 * frames are capped at 64 KiB, later ones at 1 MiB).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private expected = -1;
  private awaitingMagic: boolean;

  /**
   * @param maxFrameBytes the cap on one frame's payload
   * @param options.expectMagic a receiver's decoder first checks the raw "TOQ\x01" (spec §4.3 step 1)
   */
  constructor(
    private maxFrameBytes: number = MAX_FRAME_BYTES,
    options: { expectMagic?: boolean } = {},
  ) {
    this.awaitingMagic = options.expectMagic ?? false;
  }

  setMaxFrameBytes(limit: number): void {
    this.maxFrameBytes = limit;
  }

  /** Bytes received but not yet returned as a frame. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  push(chunk: Uint8Array): Buffer[] {
    if (chunk.length > 0) {
      this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
      this.buffered += chunk.length;
    }
    const frames: Buffer[] = [];
    if (this.awaitingMagic) {
      if (this.buffered < MAGIC.length) return frames;
      const magic = this.take(MAGIC.length);
      if (!magic.equals(MAGIC)) {
        throw new ProtocolError('protocol_violation', `expected magic 544f5101, got ${magic.toString('hex')}`);
      }
      this.awaitingMagic = false;
    }
    for (;;) {
      if (this.expected < 0) {
        if (this.buffered < HEADER_BYTES) break;
        const length = this.take(HEADER_BYTES).readUInt32BE(0);
        if (length > this.maxFrameBytes) {
          throw new ProtocolError('message_too_large', `frame length ${length} exceeds max ${this.maxFrameBytes}`);
        }
        this.expected = length;
      }
      if (this.buffered < this.expected) break;
      frames.push(this.take(this.expected));
      this.expected = -1;
    }
    return frames;
  }

  private take(n: number): Buffer {
    const first = this.chunks[0];
    if (first !== undefined && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      this.buffered -= n;
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const head = this.chunks[0]!;
      const used = Math.min(head.length, n - filled);
      head.copy(out, filled, 0, used);
      filled += used;
      if (used === head.length) this.chunks.shift();
      else this.chunks[0] = head.subarray(used);
    }
    this.buffered -= n;
    return out;
  }
}
