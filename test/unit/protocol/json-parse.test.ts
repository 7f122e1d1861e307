import { describe, expect, it } from 'vitest';

import { ProtocolError } from '../../../src/protocol/errors.js';
import { parseJson, SERDE_MAX_DEPTH } from '../../../src/protocol/json-parse.js';
import { JsonNumber, type JsonObject, type JsonValue } from '../../../src/protocol/json-value.js';
import { prng } from '../../helpers/prng.js';
import { protocolErrorCode as codeOf } from '../../helpers/thrown.js';
import { toqFixtureCases, type CanonicalJsonCase } from '../../helpers/toq-fixtures.js';

function inputOf(c: CanonicalJsonCase): string | Uint8Array {
  return c.inputHex !== undefined ? Buffer.from(c.inputHex, 'hex') : (c.input as string);
}

/** Deep comparison against JSON.parse output, numbers compared by value. */
function sameAsJsonParse(ours: JsonValue, theirs: unknown): boolean {
  if (ours instanceof JsonNumber) return typeof theirs === 'number' && Object.is(Number(ours.lexeme), theirs);
  if (Array.isArray(ours)) {
    return Array.isArray(theirs) && ours.length === theirs.length && ours.every((v, i) => sameAsJsonParse(v, theirs[i]));
  }
  if (ours !== null && typeof ours === 'object') {
    if (theirs === null || typeof theirs !== 'object' || Array.isArray(theirs)) return false;
    const t = theirs as Record<string, unknown>;
    const keys = Object.keys(ours);
    return (
      keys.length === Object.keys(t).length &&
      keys.every((k) => Object.hasOwn(t, k) && sameAsJsonParse((ours as JsonObject)[k] as JsonValue, t[k]))
    );
  }
  return ours === theirs;
}

describe('parseJson: fixture cases (fixtures/toq/canonical-json.json)', () => {
  for (const c of toqFixtureCases<CanonicalJsonCase>('canonical-json.json')) {
    // A number that overflows f64 is kept as a lexeme by the parser and refused by the printer.
    if (c.id === 'number-overflow-in-body') continue;
    it(c.id, () => {
      const input = inputOf(c);
      if (c.error !== undefined) expect(codeOf(() => parseJson(input, c.options))).toBe(c.error);
      else expect(() => parseJson(input, c.options)).not.toThrow();
    });
  }
});

describe('parseJson', () => {
  it('keeps number lexemes exactly', () => {
    const v = parseJson('[1.0,-0,18446744073709551616,1E+2,0.10]') as JsonNumber[];
    expect(v.map((n) => n.lexeme)).toEqual(['1.0', '-0', '18446744073709551616', '1E+2', '0.10']);
  });

  it('decodes escapes and keeps raw text', () => {
    expect(parseJson('"a\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\uD83D\\ude00é"')).toBe('a"b\\c/d\b\f\n\r\té😀é');
  });

  it('builds null-prototype objects; __proto__ is an ordinary key', () => {
    const v = parseJson('{"__proto__":{"polluted":true},"a":1}') as JsonObject;
    expect(Object.getPrototypeOf(v)).toBeNull();
    expect(Object.keys(v)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(v['__proto__'])).toBeNull();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('duplicate keys: last wins, unless refused at the top level', () => {
    const v = parseJson('{"a":1,"b":{"c":1,"c":2},"a":3}') as JsonObject;
    expect((v['a'] as JsonNumber).lexeme).toBe('3');
    expect(((v['b'] as JsonObject)['c'] as JsonNumber).lexeme).toBe('2');
    expect(codeOf(() => parseJson('{"a":1,"a":3}', { rejectDuplicateTopLevelKeys: true }))).toBe('invalid_envelope');
    // Nested duplicates stay allowed with the option.
    expect(() => parseJson('{"b":{"c":1,"c":2}}', { rejectDuplicateTopLevelKeys: true })).not.toThrow();
    // A set limits the refusal to known fields, as serde derive does.
    const known = new Set(['body']);
    expect(() => parseJson('{"x":1,"x":2}', { rejectDuplicateTopLevelKeys: known })).not.toThrow();
    expect(codeOf(() => parseJson('{"body":1,"body":2}', { rejectDuplicateTopLevelKeys: known }))).toBe('invalid_envelope');
  });

  it('depth limit matches serde_json: 127 nested containers pass, 128 fail', () => {
    expect(SERDE_MAX_DEPTH).toBe(127);
    const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
    expect(() => parseJson(nest(127))).not.toThrow();
    expect(codeOf(() => parseJson(nest(128)))).toBe('invalid_envelope');
    // Mixed containers count the same; the limit is about containers, not scalars.
    const mixed = (n: number) => '{"a":['.repeat(n / 2) + '1' + ']}'.repeat(n / 2);
    expect(() => parseJson(mixed(126))).not.toThrow();
    expect(codeOf(() => parseJson(mixed(128)))).toBe('invalid_envelope');
    expect(() => parseJson(nest(3), { maxDepth: 3 })).not.toThrow();
    expect(codeOf(() => parseJson(nest(4), { maxDepth: 3 }))).toBe('invalid_envelope');
    expect(() => parseJson('1', { maxDepth: 0 })).not.toThrow();
    expect(codeOf(() => parseJson('[]', { maxDepth: 0 }))).toBe('invalid_envelope');
  });

  it('reads UTF-8 bytes strictly and refuses a BOM', () => {
    expect(parseJson(Buffer.from('{"k":"é😀"}', 'utf8'))).toEqual(parseJson('{"k":"é😀"}'));
    expect(codeOf(() => parseJson(Uint8Array.of(0x22, 0xc3, 0x22)))).toBe('invalid_envelope');
    expect(codeOf(() => parseJson(Uint8Array.of(0xef, 0xbb, 0xbf, 0x31)))).toBe('invalid_envelope');
  });

  it('error messages carry the offset', () => {
    expect(() => parseJson('[1, 2, x]')).toThrow(/offset 7/);
    expect(() => parseJson('{"a":"\u0001"}')).toThrow(/offset 6/);
    expect(() => parseJson('{"a":1} 1')).toThrow(/offset 8/);
  });

  it('misuse by our own code is a TypeError / RangeError', () => {
    expect(() => parseJson(42 as unknown as string)).toThrow(TypeError);
    expect(() => parseJson('1', { maxDepth: -1 })).toThrow(RangeError);
  });

  it('agrees with JSON.parse on random JSON texts', () => {
    const rand = prng(3);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    const ws = () => pick(['', '', ' ', '\n', '\t', '\r\n  ']);
    const str = () =>
      '"' +
      Array.from({ length: Math.floor(rand() * 6) }, () =>
        pick(['a', 'é', '😀', '\\n', '\\"', '\\\\', '\\/', '\\u0041', '\\uD83D\\uDE00', '\\u2028', ' ', '\u007f']),
      ).join('') +
      '"';
    const num = () => pick(['0', '-0', '12', '-3.25', '1e5', '2E-3', '0.5e+1', '123456789012345678901', '1.0']);
    const gen = (depth: number): string => {
      const r = rand();
      if (depth > 4 || r < 0.4) return pick([str, num, () => pick(['true', 'false', 'null'])])();
      if (r < 0.7) {
        return '[' + ws() + Array.from({ length: Math.floor(rand() * 4) }, () => ws() + gen(depth + 1) + ws()).join(',') + ']';
      }
      const n = Math.floor(rand() * 4);
      const members = Array.from({ length: n }, () => ws() + str() + ws() + ':' + ws() + gen(depth + 1) + ws());
      return '{' + ws() + members.join(',') + '}';
    };
    for (let i = 0; i < 2000; i++) {
      const text = ws() + gen(0) + ws();
      expect(sameAsJsonParse(parseJson(text), JSON.parse(text)), text).toBe(true);
    }
  });

  it('accepts and refuses the same mutated texts as JSON.parse (RFC 8259 grammar)', () => {
    const rand = prng(4);
    const seeds = ['{"a":[1,2.5e3,"x\\n"],"b":{"c":null,"d":true}}', '[-0.0,"\\u00e9",false,{}]', '{"k":"v","n":-12}'];
    const alphabet = ['{', '}', '[', ']', '"', ',', ':', '0', '1', '-', '+', '.', 'e', 'E', ' ', '\\', 'u', 'n', 't', 'x', '\t', '\u0001'];
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      let text = seeds[i % seeds.length] as string;
      for (let m = 0; m < 1 + Math.floor(rand() * 2); m++) {
        const at = Math.floor(rand() * (text.length + 1));
        const op = rand();
        if (op < 0.33) text = text.slice(0, at) + text.slice(at + 1);
        else if (op < 0.66) text = text.slice(0, at) + alphabet[Math.floor(rand() * alphabet.length)] + text.slice(at);
        else text = text.slice(0, at) + alphabet[Math.floor(rand() * alphabet.length)] + text.slice(at + 1);
      }
      let theirs = true;
      try {
        JSON.parse(text);
      } catch {
        theirs = false; // refused by JSON.parse: we must refuse too
      }
      let ours = true;
      try {
        parseJson(text);
      } catch (err) {
        expect(err).toBeInstanceOf(ProtocolError);
        ours = false;
      }
      expect(ours, JSON.stringify(text)).toBe(theirs);
      if (ours) accepted++;
    }
    expect(accepted).toBeGreaterThan(200);
  });
});
