// Strict, lossless JSON parser for frames from peers: accepts exactly what serde_json 1.0.149
// accepts (wire spec §5.2, §20.7, §20.9-10) and keeps number lexemes (JsonNumber) so the canonical
// bytes can be recomputed as the reference does (§5.4). Hot path: a hand-written scanner.
// It never converts numbers and never uses JSON.parse.

import { ProtocolError } from './errors.js';
import { JsonNumber, type JsonObject, type JsonValue } from './json-value.js';

/**
 * serde_json starts `remaining_depth` at 128, decrements it on every `[` / `{` and fails when it
 * reaches 0 (de.rs check_recursion!), so 127 nested arrays/objects parse and the 128th fails.
 */
export const SERDE_MAX_DEPTH = 127;

export interface ParseJsonOptions {
  /**
   * Refuse duplicate keys in the top-level object, as serde derive does for struct fields
   * (wire spec §5.2). Elsewhere the last duplicate wins, as in serde_json's Value.
   * `true` refuses every duplicate; a set refuses only duplicates of those keys (serde derive
   * checks known fields only and skips unknown ones without looking).
   * @default false
   */
  rejectDuplicateTopLevelKeys?: boolean | ReadonlySet<string>;
  /**
   * Maximum number of nested arrays/objects (the top-level container counts as 1).
   * @default 127 (SERDE_MAX_DEPTH)
   */
  maxDepth?: number;
}

// fatal: invalid UTF-8 is an error, never U+FFFD. ignoreBOM: keep a BOM as U+FEFF so that it is
// refused like serde_json refuses it (it is not JSON whitespace), instead of being stripped.
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// String.prototype.isWellFormed exists in Node 20 but not in the ES2022 lib typings.
type MaybeWellFormed = { isWellFormed?: () => boolean };

/**
 * Parses one JSON text (wire spec §5.2). Any deviation from serde_json's grammar is
 * ProtocolError('invalid_envelope') with the offset in the message (UTF-16 code units into the
 * decoded text; equal to the byte offset while the text is ASCII).
 */
export function parseJson(input: string | Uint8Array, options?: ParseJsonOptions): JsonValue {
  let text: string;
  if (typeof input === 'string') {
    // A JS string may hold lone surrogates, which no UTF-8 frame can: refuse them like bad UTF-8.
    const check = (input as MaybeWellFormed).isWellFormed;
    if (check !== undefined ? !check.call(input) : !isWellFormedSlow(input)) {
      throw new ProtocolError('invalid_envelope', 'invalid JSON: text contains a lone surrogate');
    }
    text = input;
  } else if (input instanceof Uint8Array) {
    try {
      text = UTF8.decode(input);
    } catch (err) {
      throw new ProtocolError('invalid_envelope', 'invalid JSON: text is not valid UTF-8', { cause: err });
    }
  } else {
    throw new TypeError('parseJson expects a string or a Uint8Array');
  }
  const maxDepth = options?.maxDepth ?? SERDE_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 0) throw new RangeError(`maxDepth must be a non-negative integer, got ${maxDepth}`);
  const reject = options?.rejectDuplicateTopLevelKeys ?? false;
  const parser = new Parser(text, maxDepth, reject === false ? null : reject);
  const value = parser.parseValue(0);
  parser.skipWhitespace();
  if (parser.pos !== text.length) parser.fail('trailing characters after the JSON value');
  return value;
}

class Parser {
  pos = 0;
  private readonly len: number;

  constructor(
    private readonly src: string,
    private readonly maxDepth: number,
    // null: duplicates allowed everywhere; true: any top-level duplicate refused; set: these keys.
    private readonly rejectTop: true | ReadonlySet<string> | null,
  ) {
    this.len = src.length;
  }

  fail(what: string, at = this.pos): never {
    throw new ProtocolError('invalid_envelope', `invalid JSON at offset ${at}: ${what}`);
  }

  /** JSON whitespace is exactly space, \t, \n, \r (RFC 8259; serde_json parse_whitespace). */
  skipWhitespace(): void {
    const src = this.src;
    let i = this.pos;
    for (;;) {
      const c = src.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.pos = i;
  }

  /** `depth` = number of containers already open around this value. */
  parseValue(depth: number): JsonValue {
    this.skipWhitespace();
    const c = this.src.charCodeAt(this.pos);
    switch (c) {
      case 0x22: // "
        return this.parseString();
      case 0x7b: // {
        return this.parseObject(depth + 1);
      case 0x5b: // [
        return this.parseArray(depth + 1);
      case 0x74: // t
        this.expectWord('true');
        return true;
      case 0x66: // f
        this.expectWord('false');
        return false;
      case 0x6e: // n
        this.expectWord('null');
        return null;
      default:
        if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return this.parseNumber();
        if (this.pos >= this.len) this.fail('unexpected end of input, expected a value');
        return this.fail('expected a value');
    }
  }

  private expectWord(word: string): void {
    if (!this.src.startsWith(word, this.pos)) this.fail(`expected \`${word}\``);
    this.pos += word.length;
  }

  private enter(depth: number): void {
    // serde_json refuses on the opening bracket itself, before looking inside (§5.2, §20.10).
    if (depth > this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth} levels`);
  }

  private parseArray(depth: number): JsonValue[] {
    this.enter(depth);
    this.pos++;
    const out: JsonValue[] = [];
    this.skipWhitespace();
    if (this.src.charCodeAt(this.pos) === 0x5d) {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.parseValue(depth));
      this.skipWhitespace();
      const c = this.src.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        this.skipWhitespace();
        if (this.src.charCodeAt(this.pos) === 0x5d) this.fail('trailing comma in array');
      } else if (c === 0x5d) {
        this.pos++;
        return out;
      } else this.fail(this.pos >= this.len ? 'unexpected end of input in array' : 'expected `,` or `]`');
    }
  }

  private parseObject(depth: number): JsonObject {
    this.enter(depth);
    this.pos++;
    // Null prototype: `__proto__` and `constructor` are ordinary keys (json-value.ts).
    const out = Object.create(null) as JsonObject;
    this.skipWhitespace();
    if (this.src.charCodeAt(this.pos) === 0x7d) {
      this.pos++;
      return out;
    }
    const rejectDup = depth === 1 ? this.rejectTop : null;
    for (;;) {
      if (this.src.charCodeAt(this.pos) !== 0x22) {
        this.fail(this.pos >= this.len ? 'unexpected end of input in object' : 'expected a string key');
      }
      const keyAt = this.pos;
      const key = this.parseString();
      this.skipWhitespace();
      if (this.src.charCodeAt(this.pos) !== 0x3a) this.fail('expected `:`');
      this.pos++;
      const value = this.parseValue(depth);
      // serde derive refuses a repeated struct field (§5.2); serde_json's Value keeps the last.
      if (rejectDup !== null && key in out && (rejectDup === true || rejectDup.has(key))) {
        this.fail(`duplicate top-level key ${JSON.stringify(key)}`, keyAt);
      }
      out[key] = value;
      this.skipWhitespace();
      const c = this.src.charCodeAt(this.pos);
      if (c === 0x2c) {
        this.pos++;
        this.skipWhitespace();
        if (this.src.charCodeAt(this.pos) === 0x7d) this.fail('trailing comma in object');
      } else if (c === 0x7d) {
        this.pos++;
        return out;
      } else this.fail(this.pos >= this.len ? 'unexpected end of input in object' : 'expected `,` or `}`');
    }
  }

  /** At the opening quote. Escape-free strings are one slice of the source. */
  private parseString(): string {
    const src = this.src;
    const start = this.pos + 1;
    let i = start;
    for (;;) {
      const c = src.charCodeAt(i);
      if (c === 0x22) {
        this.pos = i + 1;
        return src.slice(start, i);
      }
      if (c === 0x5c) return this.parseStringWithEscapes(start, i);
      // Raw control characters are refused inside strings (RFC 8259; serde_json too).
      if (c < 0x20) this.fail('control character in string', i);
      // NaN past the end: c < 0x20 is false, so test the bound here, off the common path.
      if (i >= this.len) this.fail('unexpected end of input in string', i);
      i++;
    }
  }

  private parseStringWithEscapes(start: number, firstEscape: number): string {
    const src = this.src;
    let out = src.slice(start, firstEscape);
    let i = firstEscape;
    let chunk = i;
    for (;;) {
      const c = src.charCodeAt(i);
      if (c === 0x22) {
        this.pos = i + 1;
        return out + src.slice(chunk, i);
      }
      if (c === 0x5c) {
        out += src.slice(chunk, i);
        const e = src.charCodeAt(i + 1);
        switch (e) {
          case 0x22: out += '"'; break;
          case 0x5c: out += '\\'; break;
          case 0x2f: out += '/'; break;
          case 0x62: out += '\b'; break;
          case 0x66: out += '\f'; break;
          case 0x6e: out += '\n'; break;
          case 0x72: out += '\r'; break;
          case 0x74: out += '\t'; break;
          case 0x75: {
            const hi = this.hex4(i + 2);
            // Strings must be valid Unicode: a lone surrogate escape is refused (§5.2, §20.7).
            if (hi >= 0xdc00 && hi <= 0xdfff) this.fail('lone trailing surrogate escape', i);
            if (hi >= 0xd800 && hi <= 0xdbff) {
              if (src.charCodeAt(i + 6) !== 0x5c || src.charCodeAt(i + 7) !== 0x75) {
                this.fail('leading surrogate escape not followed by a \\u escape', i);
              }
              const lo = this.hex4(i + 8);
              if (lo < 0xdc00 || lo > 0xdfff) this.fail('leading surrogate escape not followed by a trailing one', i);
              out += String.fromCharCode(hi, lo);
              i += 12;
            } else {
              out += String.fromCharCode(hi);
              i += 6;
            }
            chunk = i;
            continue;
          }
          default:
            if (i + 1 >= this.len) this.fail('unexpected end of input in string', i + 1);
            this.fail('invalid escape', i);
        }
        i += 2;
        chunk = i;
        continue;
      }
      if (c < 0x20) this.fail('control character in string', i);
      if (i >= this.len) this.fail('unexpected end of input in string', i);
      i++;
    }
  }

  private hex4(at: number): number {
    let n = 0;
    for (let k = at; k < at + 4; k++) {
      const c = this.src.charCodeAt(k);
      let d: number;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
      else return this.fail(k >= this.len ? 'unexpected end of input in \\u escape' : 'invalid \\u escape', k);
      n = n * 16 + d;
    }
    return n;
  }

  /** RFC 8259 number grammar; the lexeme is kept as is (§5.4 decides what it prints as). */
  private parseNumber(): JsonNumber {
    const src = this.src;
    const start = this.pos;
    let i = start;
    let c = src.charCodeAt(i);
    if (c === 0x2d) c = src.charCodeAt(++i);
    if (c === 0x30) {
      c = src.charCodeAt(++i);
      // There can be only one leading zero (`01`, `-01` are refused).
      if (c >= 0x30 && c <= 0x39) this.fail('leading zero in number', i);
    } else if (c >= 0x31 && c <= 0x39) {
      do c = src.charCodeAt(++i);
      while (c >= 0x30 && c <= 0x39);
    } else this.fail('invalid number', i);
    if (c === 0x2e) {
      c = src.charCodeAt(++i);
      if (!(c >= 0x30 && c <= 0x39)) this.fail('expected a digit after `.`', i);
      do c = src.charCodeAt(++i);
      while (c >= 0x30 && c <= 0x39);
    }
    if (c === 0x65 || c === 0x45) {
      c = src.charCodeAt(++i);
      if (c === 0x2b || c === 0x2d) c = src.charCodeAt(++i);
      if (!(c >= 0x30 && c <= 0x39)) this.fail('expected a digit in exponent', i);
      do c = src.charCodeAt(++i);
      while (c >= 0x30 && c <= 0x39);
    }
    this.pos = i;
    return new JsonNumber(src.slice(start, i));
  }
}

function isWellFormedSlow(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdfff) {
      if (c > 0xdbff) return false;
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return false;
      i++;
    }
  }
  return true;
}
