// Number rules of the canonical bytes (wire spec §5.4): what serde_json 1.0.149 prints for a
// number lexeme after parsing it (integers kept exactly, everything else through serde's own,
// not correctly rounded, f64 parse) and zmij 1.0.21's float format. Pure; never uses JSON.parse
// or Number() on a whole lexeme, because that rounds differently from the reference.

import { ProtocolError } from './errors.js';

// serde_json keeps the significand in a u64 (§5.4); these are u64::MAX and the i64 bound as text.
const U64_MAX = '18446744073709551615';
const I64_MIN_ABS = '9223372036854775808';
// Largest significand that can take one more digit: u64::MAX / 10 and u64::MAX % 10.
const U64_MAX_DIV_10 = 1844674407370955161n;
const U64_MAX_MOD_10 = 5;
const I32_MAX = 2147483647;

// serde_json's POW10 table (de.rs, without float_roundtrip): the f64 literals 1e0 ..= 1e308.
// JS number literals are correctly rounded like Rust's, so the entries are bit-identical.
const POW10: readonly number[] = Array.from({ length: 309 }, (_, k) => Number(`1e${k}`));

/**
 * What serde_json 1.0.149 prints after parsing `lexeme` (wire spec §5.4). `lexeme` must already
 * be valid JSON number grammar (as kept by parseJson); otherwise RangeError.
 * A value that serde_json refuses (overflow to infinity) is ProtocolError('invalid_envelope').
 */
export function canonicalNumber(lexeme: string): string {
  const kept = keptInteger(lexeme);
  if (kept !== undefined) return kept;
  return formatF64(serdeParseF64(lexeme));
}

/**
 * Canonical text of a JS number our own code put in a body. Non-finite → TypeError.
 * Safe integers print as integers (-0 as `-0.0`, as serde holds it as a float); anything else is
 * sent as the lexeme String(n), so its canonical form is what serde prints after re-parsing it.
 */
export function formatJsNumber(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError(`cannot put non-finite number ${n} in JSON`);
  if (Number.isSafeInteger(n)) return n === 0 && 1 / n < 0 ? '-0.0' : String(n);
  return canonicalNumber(String(n));
}

/**
 * zmij 1.0.21's format of a finite f64 (wire spec §5.4): shortest round-trip digits; decimal
 * exponent -5..15 in fixed notation always with a `.`; otherwise d[.ddd]e±E.
 */
export function formatF64(f: number): string {
  if (!Number.isFinite(f)) throw new RangeError(`cannot format non-finite number ${f}`);
  if (f === 0) return 1 / f < 0 ? '-0.0' : '0.0';
  // toExponential() without an argument gives the shortest digits that round-trip (V8 uses the
  // same shortest-then-closest rule as zmij/ryu; the tests cross-check against String(f)).
  const sci = f.toExponential();
  const neg = f < 0;
  const ePos = sci.indexOf('e');
  const mantissa = sci.slice(neg ? 1 : 0, ePos);
  const exp = Number(sci.slice(ePos + 1));
  const digits = mantissa.length > 1 ? mantissa[0] + mantissa.slice(2) : mantissa;
  const n = digits.length;
  let out: string;
  if (exp >= -5 && exp <= 15) {
    if (n - 1 <= exp) out = digits + '0'.repeat(exp - (n - 1)) + '.0';
    else if (exp >= 0) out = digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
    else out = '0.' + '0'.repeat(-exp - 1) + digits;
  } else {
    out = (n > 1 ? digits[0] + '.' + digits.slice(1) : digits) + (exp >= 0 ? 'e+' : 'e-') + Math.abs(exp);
  }
  return neg ? '-' + out : out;
}

/** An integer lexeme serde keeps as u64 / i64 prints as itself; -0 is a float. Else undefined. */
function keptInteger(lexeme: string): string | undefined {
  const len = lexeme.length;
  const neg = lexeme.charCodeAt(0) === 0x2d;
  for (let i = neg ? 1 : 0; i < len; i++) {
    const c = lexeme.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined; // '.', 'e', 'E' (or garbage): float path
  }
  const digitCount = neg ? len - 1 : len;
  if (digitCount === 0 || (digitCount > 1 && lexeme.charCodeAt(neg ? 1 : 0) === 0x30)) throw badLexeme(lexeme);
  if (!neg) {
    if (digitCount < U64_MAX.length) return lexeme;
    if (digitCount === U64_MAX.length && lexeme <= U64_MAX) return lexeme;
    return undefined;
  }
  // `-0` is 0 negated in i64, which serde turns into the float -0.0 (de.rs parse_number).
  if (lexeme === '-0') return undefined;
  if (digitCount < I64_MIN_ABS.length) return lexeme;
  if (digitCount === I64_MIN_ABS.length && lexeme.slice(1) <= I64_MIN_ABS) return lexeme;
  return undefined;
}

/**
 * serde_json 1.0.149 de.rs without float_roundtrip: parse_integer / parse_long_integer /
 * parse_decimal(+_overflow) / parse_exponent(+_overflow) / f64_from_parts, step by step.
 */
function serdeParseF64(lexeme: string): number {
  const len = lexeme.length;
  let i = 0;
  const positive = lexeme.charCodeAt(0) !== 0x2d;
  if (!positive) i = 1;
  // The significand as its decimal digits without leading zeros ('' = 0); a u64 by construction.
  let sig = '';
  let overflowed = false;
  let exponent = 0;
  let c = lexeme.charCodeAt(i);
  if (!(c >= 0x30 && c <= 0x39)) throw badLexeme(lexeme);
  // Integer part: digits join the significand until the next one would overflow u64; after that
  // every further integer digit only bumps the exponent (parse_long_integer).
  if (c === 0x30) {
    i++;
    c = lexeme.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) throw badLexeme(lexeme);
  } else {
    while (c >= 0x30 && c <= 0x39) {
      if (overflowed) exponent++;
      else if (wouldOverflow(sig, c - 0x30)) {
        overflowed = true;
        exponent++;
      } else sig += String.fromCharCode(c);
      i++;
      c = lexeme.charCodeAt(i);
    }
  }
  // Fraction: parse_decimal starts with the significand as it stands, so after an integer-part
  // overflow a fraction digit can still be appended if it fits (a quirk we must reproduce).
  // Once a fraction digit overflows, it and all later fraction digits are dropped.
  if (c === 0x2e) {
    i++;
    c = lexeme.charCodeAt(i);
    if (!(c >= 0x30 && c <= 0x39)) throw badLexeme(lexeme);
    let dropping = false;
    while (c >= 0x30 && c <= 0x39) {
      if (!dropping) {
        const d = c - 0x30;
        if (wouldOverflow(sig, d)) dropping = true;
        else {
          if (sig !== '' || d !== 0) sig += String.fromCharCode(c);
          exponent--;
        }
      }
      i++;
      c = lexeme.charCodeAt(i);
    }
  }
  if (c === 0x65 || c === 0x45) {
    i++;
    c = lexeme.charCodeAt(i);
    let positiveExp = true;
    if (c === 0x2b || c === 0x2d) {
      positiveExp = c === 0x2b;
      i++;
      c = lexeme.charCodeAt(i);
    }
    if (!(c >= 0x30 && c <= 0x39)) throw badLexeme(lexeme);
    let exp = 0;
    let expOverflowed = false;
    while (c >= 0x30 && c <= 0x39) {
      const d = c - 0x30;
      // The exponent is an i32 (parse_exponent's overflow! check).
      if (exp > (I32_MAX - d) / 10) expOverflowed = true;
      else if (!expOverflowed) exp = exp * 10 + d;
      i++;
      c = lexeme.charCodeAt(i);
    }
    if (i !== len) throw badLexeme(lexeme);
    if (expOverflowed) {
      // parse_exponent_overflow: refuse a non-zero value with a huge positive exponent (it
      // would be infinite); everything else is a signed zero.
      if (sig !== '' && positiveExp) throw outOfRange(lexeme);
      return positive ? 0 : -0;
    }
    exponent = saturateI32(positiveExp ? exponent + exp : exponent - exp);
  }
  if (i !== len) throw badLexeme(lexeme);
  // f64_from_parts: `significand as f64` (round to nearest even, which Number() of an integer
  // string also does), then one multiply or divide by POW10[|exp|]; beyond 1e308 divide by 1e308
  // first (negative exponents only; positive ones refuse unless the value is zero).
  let f = sig === '' ? 0 : Number(sig);
  for (;;) {
    const abs = Math.abs(exponent);
    if (abs < POW10.length) {
      const pow = POW10[abs] as number;
      if (exponent >= 0) {
        f *= pow;
        if (f === Infinity) throw outOfRange(lexeme);
      } else f /= pow;
      break;
    }
    if (f === 0) break;
    if (exponent >= 0) throw outOfRange(lexeme);
    f /= 1e308;
    exponent += 308;
  }
  return positive ? f : -f;
}

/** serde's `overflow!(significand * 10 + digit, u64::MAX)`, on the significand's digit string. */
function wouldOverflow(sig: string, digit: number): boolean {
  if (sig.length < 19) return false;
  if (sig.length > 19) return true;
  const s = BigInt(sig);
  return s > U64_MAX_DIV_10 || (s === U64_MAX_DIV_10 && digit > U64_MAX_MOD_10);
}

function saturateI32(n: number): number {
  return n > I32_MAX ? I32_MAX : n < -I32_MAX - 1 ? -I32_MAX - 1 : n;
}

function badLexeme(lexeme: string): RangeError {
  return new RangeError(`not a JSON number: ${JSON.stringify(lexeme)}`);
}

function outOfRange(lexeme: string): ProtocolError {
  const shown = lexeme.length > 40 ? `${lexeme.slice(0, 40)}...` : lexeme;
  return new ProtocolError('invalid_envelope', `number ${shown} is out of range for an f64`);
}
