// Spaces out new connections to one endpoint: the reference closes, without a word, any native
// connection over 10 per source IP per sliding second (wire spec §3.1, §14), and so do we, so a
// conformance run that opens one connection per case must stay under that. Owns only a timer.

import { setTimeout as delay } from 'node:timers/promises';

export interface ConnectionPacerOptions {
  /** Connections allowed per window. @default 8 (two below the limit, for clock slack) */
  readonly perWindow?: number;
  /** @default 1000 */
  readonly windowMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

export class ConnectionPacer {
  private readonly starts: number[] = [];
  private readonly perWindow: number;
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(options: ConnectionPacerOptions = {}) {
    this.perWindow = options.perWindow ?? 8;
    this.windowMs = options.windowMs ?? 1_000;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.perWindow) || this.perWindow < 1) throw new RangeError(`perWindow must be a positive integer, got ${this.perWindow}`);
  }

  /** Resolves when one more connection may start, and counts it. */
  async next(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.now();
      while (this.starts.length > 0 && this.starts[0]! <= now - this.windowMs) this.starts.shift();
      if (this.starts.length < this.perWindow) {
        this.starts.push(now);
        return;
      }
      await delay(this.starts[0]! + this.windowMs - now + 1, undefined, signal ? { signal } : {});
    }
  }
}
