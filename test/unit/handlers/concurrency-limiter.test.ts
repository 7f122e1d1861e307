import { describe, expect, it } from 'vitest';

import { ConcurrencyLimiter, QueueRejectedError } from '../../../src/handlers/concurrency-limiter.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('ConcurrencyLimiter', () => {
  it('runs at most maxActive, queues FIFO, refuses beyond the queue', async () => {
    const limiter = new ConcurrencyLimiter(2, 1);
    const gates = [deferred(), deferred(), deferred()];
    const order: number[] = [];
    const runs = gates.map((g, i) =>
      limiter.run(async () => {
        order.push(i);
        await g.promise;
        return i;
      }),
    );
    await expect(limiter.run(async () => 99)).rejects.toBeInstanceOf(QueueRejectedError);
    expect(limiter.active).toBe(2);
    expect(limiter.queued).toBe(1);
    expect(order).toEqual([0, 1]);
    gates[0]!.resolve();
    await runs[0];
    await Promise.resolve();
    expect(order).toEqual([0, 1, 2]);
    expect(limiter.active).toBe(2);
    gates[1]!.resolve();
    gates[2]!.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect(limiter.active).toBe(0);
  });

  it('clearQueue rejects the waiting ones', async () => {
    const limiter = new ConcurrencyLimiter(1, 5);
    const gate = deferred();
    const first = limiter.run(() => gate.promise);
    const second = limiter.run(async () => 'never');
    expect(limiter.clearQueue('stopped')).toBe(1);
    await expect(second).rejects.toMatchObject({ code: 'queue_cleared' });
    gate.resolve();
    await first;
    expect(limiter.active).toBe(0);
  });

  it('rejects bad limits', () => {
    expect(() => new ConcurrencyLimiter(0, 1)).toThrow(RangeError);
    expect(() => new ConcurrencyLimiter(1, -1)).toThrow(RangeError);
  });
});
