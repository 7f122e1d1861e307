// Strict base64 (spec §20.11) against fixtures/toq/base64.json, plus exhaustive checks of the
// trailing-bit rule on short inputs.
import { describe, expect, it } from 'vitest';
import { decodeBase64Strict, encodeBase64 } from '../../../src/protocol/base64.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { thrownBy } from '../../helpers/thrown.js';
import { toqFixtureCases } from '../../helpers/toq-fixtures.js';

interface Base64Case {
  id: string;
  text: string;
  result: 'accept' | 'reject';
  bytesHex?: string;
  error?: string;
}

describe('decodeBase64Strict (fixtures/toq/base64.json)', () => {
  for (const c of toqFixtureCases<Base64Case>('base64.json')) {
    it(c.id, () => {
      if (c.result === 'accept') {
        const bytes = decodeBase64Strict(c.text);
        expect(bytes.toString('hex')).toBe(c.bytesHex);
        expect(encodeBase64(bytes)).toBe(c.text);
      } else {
        const err = thrownBy(() => decodeBase64Strict(c.text));
        expect(err).toBeInstanceOf(ProtocolError);
        expect((err as ProtocolError).code).toBe(c.error);
      }
    });
  }
});

describe('decodeBase64Strict rules', () => {
  const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

  it('accepts exactly one spelling of 1-byte values (64 candidates for the 2nd symbol)', () => {
    for (let b = 0; b < 256; b += 5) {
      const canonical = Buffer.of(b).toString('base64');
      let accepted = 0;
      for (const sym of ALPHABET) {
        const text = canonical[0] + sym + '==';
        let ok = false;
        try {
          ok = decodeBase64Strict(text)[0] === b;
        } catch (err) {
          expect(err).toBeInstanceOf(ProtocolError);
        }
        if (ok) {
          accepted++;
          expect(text).toBe(canonical);
        }
      }
      expect(accepted).toBe(1);
    }
  });

  it('accepts exactly one spelling of 2-byte values (64 candidates for the 3rd symbol)', () => {
    for (let v = 0; v < 65536; v += 257) {
      const bytes = Buffer.of(v >> 8, v & 0xff);
      const canonical = bytes.toString('base64');
      const spellings = [...ALPHABET].map((sym) => canonical.slice(0, 2) + sym + '=');
      const accepted = spellings.filter((t) => {
        try {
          return decodeBase64Strict(t).equals(bytes);
        } catch {
          return false; // refused spelling
        }
      });
      expect(accepted).toEqual([canonical]);
    }
  });

  it('round-trips random lengths 0..100', () => {
    for (let n = 0; n <= 100; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff));
      expect(decodeBase64Strict(encodeBase64(bytes)).equals(bytes)).toBe(true);
    }
  });

  it('encodes a subarray view without its neighbours', () => {
    const backing = Uint8Array.of(1, 2, 3, 4, 5);
    expect(encodeBase64(backing.subarray(1, 3))).toBe('AgM=');
  });

  it('uses the catalog code given by the caller', () => {
    expect((thrownBy(() => decodeBase64Strict('AA', 'signature', 'invalid_signature')) as ProtocolError).code).toBe('invalid_signature');
  });

  it('names the field in the message', () => {
    expect(() => decodeBase64Strict('AB==', 'challenge')).toThrow(/challenge/);
  });

  it('treats a non-string as our own misuse (TypeError)', () => {
    expect(() => decodeBase64Strict(42 as unknown as string)).toThrow(TypeError);
  });
});
