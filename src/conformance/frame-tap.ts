// Records the frames a socket receives, next to whoever else reads it (the setup driver), so the
// conformance checks can look at the exact bytes of a connection setup: every 'data' chunk is
// also fed to a private FrameDecoder (spec §3.3). It never writes to or closes the socket.

import type { Duplex } from 'node:stream';
import { MAX_FRAME_BYTES } from '../protocol/constants.js';
import { FrameDecoder } from '../protocol/frame.js';

export class FrameTap {
  readonly frames: Buffer[] = [];
  /** Arrival time of each frame (epoch ms), same index as `frames`. */
  readonly times: number[] = [];
  /** Set when the bytes stopped being frames (e.g. an over-long length prefix); recording stops. */
  error: Error | undefined;
  private readonly decoder = new FrameDecoder(MAX_FRAME_BYTES);
  private readonly onData = (chunk: Buffer): void => {
    if (this.error !== undefined) return;
    try {
      const frames = this.decoder.push(chunk);
      const at = this.now();
      for (const frame of frames) {
        this.frames.push(frame);
        this.times.push(at);
      }
    } catch (err) {
      this.error = err as Error;
    }
  };

  /**
   * Attach before anyone else reads `socket`: listeners run in attachment order, so the tap sees
   * each chunk even when a later listener destroys the socket because of it.
   */
  constructor(
    private readonly socket: Duplex,
    private readonly now: () => number = Date.now,
  ) {
    socket.on('data', this.onData);
  }

  detach(): void {
    this.socket.off('data', this.onData);
  }
}
