import { describe, it, expect, beforeEach } from 'vitest';
import fixture from '../../../fixtures/toq/addresses.json' with { type: 'json' };
import {
  ADDRESS_CACHE_MAX_ENTRIES,
  addressCacheSize,
  addressEquals,
  canonicalAddress,
  clearAddressCache,
  createAddress,
  formatAddress,
  hasStableDisplay,
  isIpAddress,
  isValidAgentName,
  needsDnsLookup,
  parseAddress,
  parseRustU16,
  tryParseAddress,
} from '../../../src/protocol/address.js';
import { ProtocolError } from '../../../src/protocol/errors.js';

interface AddressCase {
  id: string;
  text: string;
  reject?: string;
  host?: string;
  port?: number;
  isPortExplicit?: boolean;
  name?: string;
  display?: string;
  redisplay?: string;
}

const cases = fixture.cases as AddressCase[];

describe('addresses fixture (spec §2)', () => {
  it('has at least 40 cases with unique ids', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  for (const c of cases) {
    it(c.id, () => {
      if (c.reject !== undefined) {
        const result = tryParseAddress(c.text);
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.reason).toBe(c.reject);
        let caught: unknown;
        try {
          parseAddress(c.text);
        } catch (err) {
          caught = err;
        }
        expect(caught).toBeInstanceOf(ProtocolError);
        expect((caught as ProtocolError).code).toBe('invalid_envelope');
        expect(() => canonicalAddress(c.text)).toThrow(ProtocolError);
        return;
      }
      const address = parseAddress(c.text);
      expect({ ...address }).toEqual({ host: c.host, port: c.port, name: c.name, isPortExplicit: c.isPortExplicit });
      expect(formatAddress(address)).toBe(c.display);
      expect(canonicalAddress(c.text)).toBe(c.display);
      // Twice: the second answer comes from the cache.
      expect(canonicalAddress(c.text)).toBe(c.display);
      expect(canonicalAddress(c.display!)).toBe(c.redisplay);
      expect(hasStableDisplay(address)).toBe(c.display === c.redisplay);
    });
  }
});

describe('parseRustU16', () => {
  it.each([
    ['0', 0],
    ['80', 80],
    ['+80', 80],
    ['0080', 80],
    ['+0080', 80],
    ['65535', 65535],
    ['00000000000000000000065535', 65535],
  ])('accepts %j', (text, value) => {
    expect(parseRustU16(text)).toBe(value);
  });

  it.each(['', '+', '++1', '-0', '-1', ' 1', '1 ', '65536', '99999999999999999999', '1e3', '0x10', '٣', '1_000'])(
    'refuses %j',
    (text) => {
      expect(parseRustU16(text)).toBeUndefined();
    },
  );
});

describe('isIpAddress (Rust IpAddr::from_str)', () => {
  it.each([
    '0.0.0.0',
    '127.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '1::',
    '1::2',
    'fe80::1',
    '::ffff:1.2.3.4',
    '::1.2.3.4',
    '1:2:3:4:5:6:7:8',
    '1:2:3:4:5:6:1.2.3.4',
    '1:2:3:4:5:6::8',
    '1::3:4:5:6:7:8',
    '1:2:3:4:5:6:7::',
    '::1:2:3:4:5:6:7',
    '0000:0000:0000:0000:0000:0000:0000:0001',
    'ABCD:ef01::',
    '64:ff9b::192.0.2.33',
    '::1:2:3:4:5:1.2.3.4',
    '1:2:3:4:5::1.2.3.4',
  ])('accepts %j', (host) => {
    expect(isIpAddress(host)).toBe(true);
  });

  it.each([
    '',
    '127.1',
    '01.2.3.4',
    '1.2.3.256',
    '1.2.3.4.',
    '.1.2.3.4',
    '1..2.3',
    '1.2.3.4 ',
    '1.2.3.0004',
    '[::1]',
    'fe80::1%eth0',
    'fe80::1%1',
    ':::',
    ':1',
    '1:',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    '::1:2:3:4:5:6:7:8',
    '1::2::3',
    '12345::',
    '1.2.3.4::',
    '1:2:3:4:5:6:7:1.2.3.4',
    '1:2:3:4:5:6::1.2.3.4',
    '::1:2:3:4:5:6:1.2.3.4',
    '::1.2.3',
    '::1.2.3.4.5',
    '::01.2.3.4',
    '::g',
    'localhost',
  ])('refuses %j', (host) => {
    expect(isIpAddress(host)).toBe(false);
  });
});

describe('needsDnsLookup', () => {
  it.each([
    ['example.com', true],
    ['localhost', false],
    ['LOCALHOST', true],
    ['localhost.', true],
    ['printer.local', false],
    ['.local', false],
    ['printer.Local', true],
    ['127.0.0.1', false],
    ['::1', false],
    ['127.1', true],
    ['[::1]', true],
  ])('%j → %s', (host, expected) => {
    expect(needsDnsLookup(host)).toBe(expected);
  });
});

describe('agent names', () => {
  it('follows spec §2.1 step 3', () => {
    expect(isValidAgentName('alice')).toBe(true);
    expect(isValidAgentName('a-1')).toBe(true);
    expect(isValidAgentName('0')).toBe(true);
    expect(isValidAgentName('')).toBe(false);
    expect(isValidAgentName('-a')).toBe(false);
    expect(isValidAgentName('a-')).toBe(false);
    expect(isValidAgentName('Alice')).toBe(false);
    expect(isValidAgentName('a_b')).toBe(false);
    expect(isValidAgentName('ａ')).toBe(false);
  });
});

describe('address equality and construction', () => {
  it('ignores the explicit flag (spec §2.2)', () => {
    const a = parseAddress('toq://example.com/alice');
    const b = parseAddress('toq://example.com:9009/alice');
    expect(a.isPortExplicit).toBe(false);
    expect(b.isPortExplicit).toBe(true);
    expect(addressEquals(a, b)).toBe(true);
  });

  it('compares host, port and name', () => {
    const a = parseAddress('toq://example.com:7070/alice');
    expect(addressEquals(a, parseAddress('toq://example.com/alice'))).toBe(false);
    expect(addressEquals(a, parseAddress('toq://example.com:7070/bob'))).toBe(false);
    expect(addressEquals(a, parseAddress('toq://Example.com:7070/alice'))).toBe(false);
    expect(addressEquals(a, parseAddress('toq://example.com:+07070/alice'))).toBe(true);
  });

  it('builds our own address per spec §2.3', () => {
    expect(formatAddress(createAddress('localhost', 'alice', 9010))).toBe('toq://localhost:9010/alice');
    expect(formatAddress(createAddress('agents.example.org', 'alice', 9010))).toBe('toq://agents.example.org/alice');
    expect(formatAddress(createAddress('10.0.0.5', 'alice'))).toBe('toq://10.0.0.5/alice');
    expect(() => createAddress('', 'alice')).toThrow(RangeError);
    expect(() => createAddress('h', 'Alice')).toThrow(RangeError);
    expect(() => createAddress('h', 'alice', 65536)).toThrow(RangeError);
    expect(() => createAddress('h', 'alice', 1.5)).toThrow(RangeError);
  });

  it('returns frozen addresses', () => {
    const a = parseAddress('toq://example.com/frozen');
    expect(Object.isFrozen(a)).toBe(true);
  });

  it('rejects non-strings as misuse', () => {
    expect(() => parseAddress(42 as unknown as string)).toThrow(TypeError);
    expect(() => canonicalAddress(undefined as unknown as string)).toThrow(TypeError);
  });

  it('quotes long peer input shortened in messages', () => {
    const result = tryParseAddress(`toq://${'h'.repeat(500)}/Bad`);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message.length).toBeLessThan(200);
  });
});

describe('canonicalAddress cache', () => {
  beforeEach(() => {
    clearAddressCache();
  });

  it('stays bounded and keeps answering correctly after eviction', () => {
    for (let i = 0; i < ADDRESS_CACHE_MAX_ENTRIES + 500; i++) {
      expect(canonicalAddress(`toq://h${i}.example:7/a`)).toBe(`toq://h${i}.example/a`);
    }
    expect(addressCacheSize()).toBe(ADDRESS_CACHE_MAX_ENTRIES);
    // The first entries were evicted; they are recomputed, not lost.
    expect(canonicalAddress('toq://h0.example:7/a')).toBe('toq://h0.example/a');
    expect(canonicalAddress('toq://127.0.0.1:7/a')).toBe('toq://127.0.0.1:7/a');
  });

  it('does not cache failures', () => {
    expect(() => canonicalAddress('toq://h/Bad')).toThrow(ProtocolError);
    expect(addressCacheSize()).toBe(0);
  });

  it('is fast on the hot path', () => {
    const texts = Array.from({ length: 100 }, (_, i) => `toq://10.0.0.${i}:9010/agent-${i}`);
    const start = performance.now();
    let n = 0;
    for (let round = 0; round < 2000; round++) for (const t of texts) n += canonicalAddress(t).length;
    const perCallNs = ((performance.now() - start) * 1e6) / (2000 * texts.length);
    expect(n).toBeGreaterThan(0);
    // Generous bound (a cache hit is one Map lookup); it only catches an accidental O(n) path.
    expect(perCallNs).toBeLessThan(2000);
  });
});
