// The canonical JSON printer: the exact bytes toq signs (wire spec §5.3), as the reference's
// canonical_json prints a serde_json Value: no whitespace, keys in code point order, serde_json's
// string escapes and §5.4 numbers. It must never print something serde_json could not read back
// (lone surrogates, non-finite numbers), so such input from our own code is a TypeError/RangeError.

import { Buffer } from 'node:buffer';

import { canonicalNumber, formatJsNumber } from './json-number.js';
import { JsonNumber, type JsonValue } from './json-value.js';

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);

/**
 * Orders strings by Unicode code point, which is the byte order of their UTF-8 encodings and
 * Rust's `String` order (§5.3, §19.7). JS's default sort compares UTF-16 code units instead and
 * puts U+1F600 (lead unit 0xD83D) before U+FF61.
 */
export function compareKeys(a: string, b: string): number {
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    let ca = a.charCodeAt(i);
    let cb = b.charCodeAt(i);
    if (ca !== cb) {
      // Code units agree with code points except between surrogates (code points >= U+10000)
      // and U+E000..U+FFFF: move surrogates above that range before comparing.
      if (ca >= 0xd800 && cb >= 0xd800) {
        ca += ca >= 0xe000 ? -0x800 : 0x2000;
        cb += cb >= 0xe000 ? -0x800 : 0x2000;
      }
      return ca - cb;
    }
  }
  return a.length - b.length;
}

/** Canonical text of a JSON value (§5.3). See canonicalJsonBytes for what gets signed. */
export function canonicalJson(value: JsonValue): string {
  wireMode = false;
  return writeValue(value);
}

/** The UTF-8 bytes of canonicalJson(value): what Ed25519 signs (§5.3, §20.6). */
export function canonicalJsonBytes(value: JsonValue): Buffer {
  return Buffer.from(canonicalJson(value), 'utf8');
}

/**
 * The text to put on the wire: like canonicalJson, but numbers keep their lexeme (`String(n)` for
 * JS numbers). serde_json does not always read its own float output back to the same double, so a
 * receiver must see the lexeme the signature was computed from, not our canonical re-print of it.
 */
export function wireJson(value: JsonValue): string {
  wireMode = true;
  try {
    return writeValue(value);
  } finally {
    wireMode = false;
  }
}

/**
 * Both texts of a body in one call; `wire` is the same string as `canonical` (one pass) unless a
 * number's canonical form differs from its lexeme (floats, `-0`).
 */
export function canonicalAndWireJson(value: JsonValue): { canonical: string; wire: string } {
  numbersDiverge = false;
  const canonical = canonicalJson(value);
  return { canonical, wire: numbersDiverge ? wireJson(value) : canonical };
}

// Printing is synchronous and not re-entrant, so module state is safe here and keeps the
// recursive writers free of an options argument on the hot path.
let wireMode = false;
let numbersDiverge = false;

function writeNumber(lexeme: string, canonical: string): string {
  if (canonical !== lexeme) numbersDiverge = true;
  return wireMode ? lexeme : canonical;
}

function writeValue(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return quote(value);
    case 'number':
      return Number.isSafeInteger(value) && !Object.is(value, -0)
        ? String(value)
        : writeNumber(Object.is(value, -0) ? '-0' : String(value), formatJsNumber(value));
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      if (value > U64_MAX || value < I64_MIN) throw new RangeError(`bigint ${value} does not fit in u64/i64`);
      return value.toString();
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return writeArray(value);
      if (value instanceof JsonNumber) return writeNumber(value.lexeme, canonicalNumber(value.lexeme));
      return writeObject(value);
    default:
      throw new TypeError(`cannot put a ${typeof value} in canonical JSON`);
  }
}

function writeArray(arr: readonly unknown[]): string {
  const n = arr.length;
  if (n === 0) return '[]';
  let out = '[' + writeValue(arr[0]);
  for (let i = 1; i < n; i++) out += ',' + writeValue(arr[i]);
  return out + ']';
}

function writeObject(obj: object): string {
  const proto: unknown = Object.getPrototypeOf(obj);
  if (proto !== Object.prototype && proto !== null) {
    // Dates, Maps, class instances: JSON.stringify would guess; signed bytes must not.
    throw new TypeError(`cannot put a ${obj.constructor?.name ?? 'non-plain'} object in canonical JSON`);
  }
  const record = obj as Record<string, unknown>;
  const keys = Object.keys(record);
  sortKeys(keys);
  let out = '{';
  let first = true;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const v = record[key];
    // An undefined member is absent, as an omitted Option field is in the reference (§5.2).
    if (v === undefined) continue;
    if (first) first = false;
    else out += ',';
    out += quote(key) + ':' + writeValue(v);
  }
  return out + '}';
}

/** Sorts in place by code point. Insertion sort for the usual handful of keys. */
function sortKeys(keys: string[]): void {
  const n = keys.length;
  if (n > 16) {
    keys.sort(compareKeys);
    return;
  }
  for (let i = 1; i < n; i++) {
    const k = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && compareKeys(keys[j] as string, k) > 0) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = k;
  }
}

/**
 * serde_json's string escapes (§5.3, §20.8): `"` `\\` \b \t \n \f \r, other controls as \u00xx
 * (lowercase hex), everything else raw, including `/`, DEL and U+2028. This equals
 * JSON.stringify on well-formed strings; a lone surrogate has no UTF-8 form, hence RangeError.
 */
function quote(s: string): string {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return quoteSlow(s, i);
  }
  return '"' + s + '"';
}

const HEX = '0123456789abcdef';

function quoteSlow(s: string, from: number): string {
  let out = '"' + s.slice(0, from);
  let chunk = from;
  const n = s.length;
  for (let i = from; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c !== 0x22 && c !== 0x5c && (c < 0xd800 || c > 0xdfff)) continue;
    if (c >= 0xd800) {
      const d = s.charCodeAt(i + 1);
      if (c > 0xdbff || !(d >= 0xdc00 && d <= 0xdfff)) {
        throw new RangeError(`string has a lone surrogate at index ${i}; it cannot be sent as UTF-8`);
      }
      i++;
      continue;
    }
    out += s.slice(chunk, i);
    chunk = i + 1;
    switch (c) {
      case 0x22: out += '\\"'; break;
      case 0x5c: out += '\\\\'; break;
      case 0x08: out += '\\b'; break;
      case 0x09: out += '\\t'; break;
      case 0x0a: out += '\\n'; break;
      case 0x0c: out += '\\f'; break;
      case 0x0d: out += '\\r'; break;
      default: out += '\\u00' + HEX[c >> 4] + HEX[c & 15];
    }
  }
  return out + s.slice(chunk) + '"';
}
