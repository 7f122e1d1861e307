// Per-phase deadline signals (STYLE: named timeouts; tiny real timeouts; fake timers only to count
// the timers a call leaves behind).

import { afterEach, describe, expect, it, vi } from 'vitest';
import { phaseSignal, settleWithin } from '../../../src/transport/deadline.js';
import { TimeoutError } from '../../../src/protocol/errors.js';

function aborted(signal: AbortSignal): Promise<unknown> {
  if (signal.aborted) return Promise.resolve(signal.reason);
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
}

describe('phaseSignal', () => {
  it('aborts after the deadline with a TimeoutError naming the phase', async () => {
    const signal = phaseSignal('handshake', 10);
    const reason = await aborted(signal);
    expect(reason).toBeInstanceOf(TimeoutError);
    expect((reason as TimeoutError).code).toBe('timeout');
    expect((reason as TimeoutError).phase).toBe('handshake');
  });

  it('aborts with the parent reason when the parent aborts first', async () => {
    const shutdown = new AbortController();
    const signal = phaseSignal('negotiation', 60_000, shutdown.signal);
    const cause = new Error('shutting down');
    shutdown.abort(cause);
    expect(await aborted(signal)).toBe(cause);
  });

  it('returns an already aborted parent as is', () => {
    const parent = AbortSignal.abort(new Error('gone'));
    expect(phaseSignal('tls', 10, parent)).toBe(parent);
  });

  it('refuses a negative or non-finite timeout', () => {
    expect(() => phaseSignal('peek', -1)).toThrow(RangeError);
    expect(() => phaseSignal('peek', Number.NaN)).toThrow(RangeError);
  });
});

describe('settleWithin', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('passes a value or a rejection through when the promise wins', async () => {
    await expect(settleWithin(Promise.resolve(7), 'probe', 60_000)).resolves.toBe(7);
    const err = new Error('unreachable');
    await expect(settleWithin(Promise.reject(err), 'probe', 60_000)).rejects.toBe(err);
  });

  it('rejects with a TimeoutError naming the phase when the deadline wins', async () => {
    const never = new Promise<never>(() => undefined);
    const reason: unknown = await settleWithin(never, 'bridge probe', 10).catch((e: unknown) => e);
    expect(reason).toBeInstanceOf(TimeoutError);
    expect(reason).toMatchObject({ code: 'timeout', phase: 'bridge probe' });
  });

  it('leaves no timer behind once the promise has settled', async () => {
    vi.useFakeTimers();
    const before = vi.getTimerCount();
    await settleWithin(Promise.resolve(1), 'probe', 60_000);
    await settleWithin(Promise.reject(new Error('x')), 'probe', 60_000).catch(() => undefined);
    expect(vi.getTimerCount()).toBe(before);
  });

  it('refuses a negative or non-finite timeout', () => {
    expect(() => settleWithin(Promise.resolve(1), 'probe', -1)).toThrow(RangeError);
    expect(() => settleWithin(Promise.resolve(1), 'probe', Number.NaN)).toThrow(RangeError);
  });
});
