import { describe, it, expect } from 'vitest';
import fixture from '../../../fixtures/toq/dns-txt.json' with { type: 'json' };
import {
  dnsTxtName,
  findAgentRecord,
  formatTxtRecord,
  isDnsKeyMatch,
  parseTxtRecord,
  rustTrim,
  type DnsTxtRecord,
} from '../../../src/protocol/dns-txt.js';
import { identityFromSeed } from '../../../src/protocol/ed25519.js';

interface TxtCase {
  id: string;
  strings?: string[];
  record?: DnsTxtRecord | null;
  records?: string[][];
  agent?: string;
  found?: DnsTxtRecord | null;
}

const cases = fixture.cases as TxtCase[];
const KEY_A = 'iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=';

describe('dns-txt fixture (spec §13)', () => {
  for (const c of cases) {
    it(c.id, () => {
      if (c.strings !== undefined) {
        expect(parseTxtRecord(c.strings) ?? null).toEqual(c.record);
      } else {
        expect(findAgentRecord(c.records!, c.agent!) ?? null).toEqual(c.found);
      }
    });
  }
});

describe('rustTrim', () => {
  it('differs from String.prototype.trim exactly where Rust does', () => {
    expect(rustTrim('\u0085a\u0085')).toBe('a');
    expect('\u0085a\u0085'.trim()).toBe('\u0085a\u0085');
    expect(rustTrim('\ufeffa\ufeff')).toBe('\ufeffa\ufeff');
    expect('\ufeffa\ufeff'.trim()).toBe('a');
    expect(rustTrim(' \t\r\n a b \u2028\u3000')).toBe('a b');
  });
});

describe('dnsTxtName', () => {
  it('prefixes _toq._tcp. and ends with a dot', () => {
    expect(dnsTxtName('example.com')).toBe('_toq._tcp.example.com.');
    expect(dnsTxtName('agents.example.org')).toBe('_toq._tcp.agents.example.org.');
  });
  it('does not double a trailing dot', () => {
    expect(dnsTxtName('example.com.')).toBe('_toq._tcp.example.com.');
  });
  it('refuses an empty host', () => {
    expect(() => dnsTxtName('')).toThrow(RangeError);
  });
});

describe('formatTxtRecord', () => {
  const identity = identityFromSeed(new Uint8Array(32).fill(1));

  it('uses the reference layout and omits the default port', () => {
    expect(formatTxtRecord({ agent: 'alice', key: identity.publicKey })).toBe(`v=toq1; key=${KEY_A}; agent=alice`);
    expect(formatTxtRecord({ agent: 'alice', key: identity.publicKey, port: 9010 })).toBe(
      `v=toq1; key=${KEY_A}; port=9010; agent=alice`,
    );
  });

  it('accepts key text with or without the ed25519: prefix', () => {
    expect(formatTxtRecord({ agent: 'bob', key: identity.publicKeyText })).toBe(`v=toq1; key=${KEY_A}; agent=bob`);
    expect(formatTxtRecord({ agent: 'bob', key: KEY_A })).toBe(`v=toq1; key=${KEY_A}; agent=bob`);
  });

  it('round-trips through parseTxtRecord', () => {
    for (const port of [0, 1, 9009, 9010, 65535]) {
      const text = formatTxtRecord({ agent: 'my-agent', key: identity.publicKey, port });
      expect(parseTxtRecord([text])).toEqual({ agent: 'my-agent', key: KEY_A, port });
    }
  });

  it('refuses values that would break the record', () => {
    expect(() => formatTxtRecord({ agent: 'a;b', key: KEY_A })).toThrow(RangeError);
    expect(() => formatTxtRecord({ agent: 'Alice', key: KEY_A })).toThrow(RangeError);
    expect(() => formatTxtRecord({ agent: 'a', key: 'abc; agent=evil' })).toThrow(RangeError);
    expect(() => formatTxtRecord({ agent: 'a', key: KEY_A, port: 70000 })).toThrow(RangeError);
  });
});

describe('isDnsKeyMatch', () => {
  const identity = identityFromSeed(new Uint8Array(32).fill(1));

  it('compares the canonical base64 text', () => {
    const record = parseTxtRecord([`v=toq1; key=${KEY_A}; agent=alice`])!;
    expect(isDnsKeyMatch(record, identity.publicKey)).toBe(true);
    expect(isDnsKeyMatch(record, identityFromSeed(new Uint8Array(32).fill(2)).publicKey)).toBe(false);
  });

  it('fails on the prefixed form and on unpadded base64, as the reference does', () => {
    const prefixed = parseTxtRecord([`v=toq1; key=ed25519:${KEY_A}; agent=alice`])!;
    expect(isDnsKeyMatch(prefixed, identity.publicKey)).toBe(false);
    const unpadded = parseTxtRecord([`v=toq1; key=${KEY_A.replace(/=+$/, '')}; agent=alice`])!;
    expect(isDnsKeyMatch(unpadded, identity.publicKey)).toBe(false);
  });
});
