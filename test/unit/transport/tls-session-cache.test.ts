// Per-peer TLS session tickets: latest wins, least recently used dropped first.

import { describe, expect, it } from 'vitest';
import { TlsSessionCache } from '../../../src/transport/tls-session-cache.js';

const ticket = (n: number): Buffer => Buffer.of(n);

describe('TlsSessionCache', () => {
  it('keeps the latest ticket per peer', () => {
    const cache = new TlsSessionCache();
    cache.set('a:9009', ticket(1));
    cache.set('a:9009', ticket(2));
    expect(cache.get('a:9009')).toEqual(ticket(2));
    expect(cache.get('b:9009')).toBeUndefined();
    cache.delete('a:9009');
    expect(cache.size).toBe(0);
  });

  it('drops the least recently used peer when full', () => {
    const cache = new TlsSessionCache({ maxEntries: 2 });
    cache.set('a', ticket(1));
    cache.set('b', ticket(2));
    cache.get('a'); // a is now more recent than b
    cache.set('c', ticket(3));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')).toEqual(ticket(1));
    expect(cache.get('c')).toEqual(ticket(3));
  });

  it('refuses a non-positive size', () => {
    expect(() => new TlsSessionCache({ maxEntries: 0 })).toThrow(RangeError);
  });
});
