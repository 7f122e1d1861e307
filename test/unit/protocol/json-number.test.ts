import { describe, expect, it } from 'vitest';

import { ProtocolError } from '../../../src/protocol/errors.js';
import { canonicalNumber, formatF64, formatJsNumber } from '../../../src/protocol/json-number.js';
import { parseJson } from '../../../src/protocol/json-parse.js';
import { JsonNumber } from '../../../src/protocol/json-value.js';
import { prng } from '../../helpers/prng.js';
import { toqFixtureCases } from '../../helpers/toq-fixtures.js';

interface NumberCase {
  id: string;
  comment: string;
  lexeme: string;
  canonical?: string;
  error?: string;
  correctlyRounded?: string;
}

const cases = toqFixtureCases<NumberCase>('numbers.json');

function randomDouble(rand: () => number): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setUint32(0, Math.floor(rand() * 2 ** 32));
  view.setUint32(4, Math.floor(rand() * 2 ** 32));
  return view.getFloat64(0);
}

/** Shortest digits and exponent of the first digit, read from String(f) (ECMA-262 Number::toString). */
function digitsOfString(f: number): { digits: string; exp: number } {
  const s = String(Math.abs(f));
  const [mant, e] = s.split('e') as [string, string | undefined];
  const [ip, fp = ''] = mant.split('.') as [string, string | undefined];
  let digits = ip + fp;
  let exp = Number(e ?? 0) + ip.length - 1;
  const stripped = digits.replace(/^0+/, '');
  exp -= digits.length - stripped.length;
  digits = stripped.replace(/0+$/, '');
  return { digits, exp };
}

/** The same, read back from our zmij-format output. */
function digitsOfCanonical(out: string): { digits: string; exp: number } {
  return digitsOfString(Number(out));
}

describe('canonicalNumber (fixtures/toq/numbers.json)', () => {
  for (const c of cases) {
    it(c.id, () => {
      // Every lexeme is valid JSON and survives our parser unchanged.
      const parsed = parseJson(c.lexeme);
      expect(parsed).toBeInstanceOf(JsonNumber);
      expect((parsed as JsonNumber).lexeme).toBe(c.lexeme);
      if (c.error !== undefined) {
        expect(() => canonicalNumber(c.lexeme)).toThrow(ProtocolError);
        try {
          canonicalNumber(c.lexeme);
        } catch (err) {
          expect((err as ProtocolError).code).toBe(c.error);
        }
        return;
      }
      expect(canonicalNumber(c.lexeme)).toBe(c.canonical);
      if (c.correctlyRounded !== undefined) {
        // The correctly rounded parse (JSON.parse) really prints something else.
        expect(formatF64(Number(c.lexeme))).toBe(c.correctlyRounded);
        expect(c.correctlyRounded).not.toBe(c.canonical);
      }
    });
  }

  it('has the cases the spec asks for', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(cases.filter((c) => c.correctlyRounded !== undefined).length).toBeGreaterThanOrEqual(1);
  });

  it('refuses a lexeme that is not JSON number grammar (our misuse)', () => {
    for (const bad of ['', '-', '1.', '.5', '+1', '01', '1e', '1x', 'NaN']) {
      expect(() => canonicalNumber(bad), bad).toThrow(RangeError);
    }
  });
});

describe('formatF64', () => {
  it('uses the shortest round-trip digits (checked against String(f), ECMA-262 closest-shortest)', () => {
    const rand = prng(1);
    for (let i = 0; i < 20_000; i++) {
      const f = randomDouble(rand);
      if (!Number.isFinite(f) || f === 0) continue;
      const out = formatF64(f);
      expect(Number(out)).toBe(f);
      expect(digitsOfCanonical(out)).toEqual(digitsOfString(f));
    }
  });

  it('tricky values', () => {
    const cases: [number, string][] = [
      [5e-324, '5e-324'],
      [2 ** -1022, '2.2250738585072014e-308'],
      [Number.MAX_VALUE, '1.7976931348623157e+308'],
      [0.1 + 0.2, '0.30000000000000004'],
      [1 / 3, '0.3333333333333333'],
      [2 ** 63, '9.223372036854776e+18'],
      [1e23, '1e+23'],
      [9007199254740992, '9007199254740992.0'],
      [123456789012345.67, '123456789012345.67'],
      [1e15, '1000000000000000.0'],
      [1e16, '1e+16'],
      [0.00001, '0.00001'],
      [0.000009, '9e-6'],
      [-1.5e-7, '-1.5e-7'],
      [-0, '-0.0'],
      [0, '0.0'],
    ];
    for (const [f, s] of cases) expect(formatF64(f), String(f)).toBe(s);
  });
});

describe('formatJsNumber', () => {
  it('prints safe integers as integers and -0 as -0.0', () => {
    expect(formatJsNumber(0)).toBe('0');
    expect(formatJsNumber(-0)).toBe('-0.0');
    expect(formatJsNumber(42)).toBe('42');
    expect(formatJsNumber(-7)).toBe('-7');
    expect(formatJsNumber(Number.MAX_SAFE_INTEGER)).toBe('9007199254740991');
  });

  it('prints other numbers as serde prints the lexeme String(n)', () => {
    // String(1e16) is "10000000000000000", which serde reads as a u64.
    expect(formatJsNumber(1e16)).toBe('10000000000000000');
    // String(2**64) is "18446744073709552000": past u64, so an f64.
    expect(formatJsNumber(2 ** 64)).toBe('1.8446744073709552e+19');
    expect(formatJsNumber(1e20)).toBe('1e+20');
    expect(formatJsNumber(1e21)).toBe('1e+21');
    expect(formatJsNumber(1.5)).toBe('1.5');
    expect(formatJsNumber(0.1)).toBe('0.1');
    expect(formatJsNumber(1e-7)).toBe('1e-7');
    expect(formatJsNumber(1.23e-18)).toBe('1.23e-18');
    for (const n of [1e-23, 3e99, 6.88e-23]) expect(formatJsNumber(n)).toBe(canonicalNumber(String(n)));
    expect(formatJsNumber(1e-23)).toBe('1.0000000000000001e-23');
  });

  it('refuses non-finite numbers', () => {
    for (const n of [NaN, Infinity, -Infinity]) expect(() => formatJsNumber(n)).toThrow(TypeError);
  });

  it('is stable under serde re-parsing for short decimals (the floats our code should send)', () => {
    const rand = prng(2);
    for (let i = 0; i < 20_000; i++) {
      const f = (Math.round(rand() * 2e6) - 1e6) / 10 ** Math.floor(rand() * 9);
      const once = formatJsNumber(f);
      expect(canonicalNumber(once), String(f)).toBe(once);
    }
  });
});
