// A per-handler cap on work running at once, with a bounded FIFO queue behind it. The reference
// starts one task per message without limit (local-API spec §5.2); a burst of messages here waits
// in line instead of forking hundreds of processes. It knows nothing about what the work is.

import { GatewayError } from '../protocol/errors.js';

/** The queue was full, or the queued work was dropped by `clearQueue`. */
export class QueueRejectedError extends GatewayError {}

interface Waiter {
  start: () => void;
  reject: (err: Error) => void;
}

export class ConcurrencyLimiter {
  readonly #maxActive: number;
  readonly #maxQueued: number;
  #active = 0;
  readonly #queue: Waiter[] = [];

  /**
   * @param maxActive tasks running at once (>= 1)
   * @param maxQueued tasks waiting beyond that (>= 0); more are refused with `queue_full`
   */
  constructor(maxActive: number, maxQueued: number) {
    if (!Number.isSafeInteger(maxActive) || maxActive < 1) throw new RangeError(`maxActive must be a positive integer, got ${maxActive}`);
    if (!Number.isSafeInteger(maxQueued) || maxQueued < 0) throw new RangeError(`maxQueued must be a non-negative integer, got ${maxQueued}`);
    this.#maxActive = maxActive;
    this.#maxQueued = maxQueued;
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** Runs `task` when a slot is free; rejects with QueueRejectedError when it cannot wait. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#active >= this.#maxActive) {
      if (this.#queue.length >= this.#maxQueued) {
        throw new QueueRejectedError('queue_full', `${this.#active} running and ${this.#queue.length} queued (max ${this.#maxQueued})`);
      }
      await new Promise<void>((start, reject) => this.#queue.push({ start, reject }));
    } else {
      this.#active++;
    }
    try {
      return await task();
    } finally {
      const next = this.#queue.shift();
      // The slot passes straight to the next waiter, so `active` never dips between them.
      if (next) next.start();
      else this.#active--;
    }
  }

  /** Refuses everything still waiting; returns how many were dropped. */
  clearQueue(reason: string): number {
    const dropped = this.#queue.splice(0, this.#queue.length);
    for (const waiter of dropped) waiter.reject(new QueueRejectedError('queue_cleared', reason));
    return dropped.length;
  }
}
