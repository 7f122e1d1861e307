// New-connection limiter (wire spec §14, DESIGN §2) with injected addresses and clock.

import { describe, expect, it } from 'vitest';
import { ConnectionRateLimiter } from '../../../src/transport/rate-limiter.js';

function limiterAt(start = 1_000, options: { perSecond?: number; maxSources?: number } = {}) {
  let time = start;
  const limiter = new ConnectionRateLimiter({ ...options, now: () => time });
  return {
    limiter,
    advance: (ms: number) => {
      time += ms;
    },
  };
}

function admitted(limiter: ConnectionRateLimiter, ip: string, attempts: number): number {
  let count = 0;
  for (let i = 0; i < attempts; i++) if (limiter.allow(ip)) count++;
  return count;
}

describe('ConnectionRateLimiter', () => {
  it('admits 10 connections per source in a second by default and refuses the 11th', () => {
    const { limiter } = limiterAt();
    expect(admitted(limiter, '203.0.113.7', 10)).toBe(10);
    expect(limiter.allow('203.0.113.7')).toBe(false);
  });

  it('slides: a slot frees exactly one window after the admission that used it', () => {
    const { limiter, advance } = limiterAt(0, { perSecond: 3 });
    expect(limiter.allow('198.51.100.1')).toBe(true); // t=0
    advance(400);
    expect(limiter.allow('198.51.100.1')).toBe(true); // t=400
    expect(limiter.allow('198.51.100.1')).toBe(true); // t=400
    advance(599);
    expect(limiter.allow('198.51.100.1')).toBe(false); // t=999: all three still inside
    advance(1);
    expect(limiter.allow('198.51.100.1')).toBe(true); // t=1000: the t=0 slot left
    expect(limiter.allow('198.51.100.1')).toBe(false);
    advance(400);
    expect(admitted(limiter, '198.51.100.1', 5)).toBe(2); // t=1400: both t=400 slots left
  });

  it('does not count refused attempts against the source', () => {
    const { limiter, advance } = limiterAt(0, { perSecond: 2 });
    expect(admitted(limiter, '192.0.2.9', 50)).toBe(2);
    advance(1000);
    expect(admitted(limiter, '192.0.2.9', 3)).toBe(2);
  });

  it('keeps separate budgets per source', () => {
    const { limiter } = limiterAt(0, { perSecond: 2 });
    expect(admitted(limiter, '192.0.2.1', 3)).toBe(2);
    expect(admitted(limiter, '192.0.2.2', 3)).toBe(2);
  });

  it.each(['127.0.0.1', '127.200.3.4', '::1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1'])('never limits loopback %s', (ip) => {
    const { limiter } = limiterAt(0, { perSecond: 1 });
    expect(admitted(limiter, ip, 100)).toBe(100);
    expect(limiter.trackedSources).toBe(0);
  });

  it('limits addresses that merely look close to loopback', () => {
    const { limiter } = limiterAt(0, { perSecond: 1 });
    for (const ip of ['128.0.0.1', '126.255.255.255', '::2', '::ffff:128.0.0.2', 'not-an-ip']) {
      expect(admitted(limiter, ip, 3)).toBe(1);
    }
  });

  it('counts an IPv4 client and its IPv4-mapped IPv6 form as one source', () => {
    const { limiter } = limiterAt(0, { perSecond: 2 });
    expect(limiter.allow('203.0.113.5')).toBe(true);
    expect(limiter.allow('::ffff:203.0.113.5')).toBe(true);
    expect(limiter.allow('203.0.113.5')).toBe(false);
  });

  it('counts IPv6 sources per /64', () => {
    const { limiter } = limiterAt(0, { perSecond: 2 });
    expect(limiter.allow('2001:db8::1')).toBe(true);
    expect(limiter.allow('2001:db8:0:0:ffff::2')).toBe(true);
    expect(limiter.allow('2001:db8::3')).toBe(false);
    expect(limiter.allow('2001:db8:0:1::1')).toBe(true);
  });

  it('forgets sources idle for a whole window', () => {
    const { limiter, advance } = limiterAt(0);
    for (let i = 1; i <= 50; i++) limiter.allow(`10.0.0.${i}`);
    expect(limiter.trackedSources).toBe(50);
    advance(1000);
    limiter.allow('10.0.1.1');
    expect(limiter.trackedSources).toBe(1);
  });

  it('never tracks more than maxSources, dropping the least recently admitted', () => {
    const { limiter, advance } = limiterAt(0, { perSecond: 1, maxSources: 3 });
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']) {
      expect(limiter.allow(ip)).toBe(true);
      advance(1);
    }
    expect(limiter.trackedSources).toBe(3);
    expect(limiter.allow('10.0.0.1')).toBe(true); // was evicted, so it starts afresh
    expect(limiter.allow('10.0.0.4')).toBe(false); // still tracked
  });

  it('rejects nonsensical options with RangeError', () => {
    expect(() => new ConnectionRateLimiter({ perSecond: 0 })).toThrow(RangeError);
    expect(() => new ConnectionRateLimiter({ perSecond: 1.5 })).toThrow(RangeError);
    expect(() => new ConnectionRateLimiter({ windowMs: 0 })).toThrow(RangeError);
    expect(() => new ConnectionRateLimiter({ maxSources: 0 })).toThrow(RangeError);
  });
});
