// Standard base64 exactly as the reference's base64 0.22 STANDARD engine reads and writes it
// (wire spec §20.11). Pure; it never accepts a text that the reference would refuse.
//
// The STANDARD engine (GeneralPurpose with the PAD config) decodes with
// DecodePaddingMode::RequireCanonical and decode_allow_trailing_bits = false, which means:
// standard alphabet only (no URL-safe `-`/`_`), no whitespace or line breaks anywhere, the
// length (symbols + padding) a multiple of 4, `=` only as one or two final padding symbols,
// and the unused low bits of the last symbol equal to zero. The empty string decodes to zero
// bytes. Node's `Buffer.from(s, 'base64')` accepts far more (missing padding, whitespace,
// URL-safe symbols, garbage after padding), so peer input goes through decodeBase64Strict.

import type { ToqErrorCode } from './error-catalog.js';
import { ProtocolError } from './errors.js';

const STRICT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Canonical padded standard base64, as the reference writes it. */
export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64');
}

/**
 * Decodes `text` if and only if base64 0.22's STANDARD engine would (see the file header).
 * Throws ProtocolError(`code`) naming `what` otherwise.
 * @param what - names the field in the error message. @default 'base64'
 * @param code - catalog code of the error. @default 'invalid_envelope'
 */
export function decodeBase64Strict(text: string, what = 'base64', code: ToqErrorCode = 'invalid_envelope'): Buffer {
  if (typeof text !== 'string') throw new TypeError(`${what}: expected a string, got ${typeof text}`);
  if (!STRICT.test(text)) throw new ProtocolError(code, `${what} is not canonical padded standard base64`);
  // The last symbol before padding carries 4 (`xx==`) or 2 (`xxx=`) unused bits; base64 0.22
  // refuses them unless zero (DecodeError::InvalidLastSymbol). Node would silently drop them.
  if (text.endsWith('==')) {
    if ((ALPHABET.indexOf(text.charAt(text.length - 3)) & 0x0f) !== 0) {
      throw new ProtocolError(code, `${what} has non-zero trailing bits in its last symbol`);
    }
  } else if (text.endsWith('=')) {
    if ((ALPHABET.indexOf(text.charAt(text.length - 2)) & 0x03) !== 0) {
      throw new ProtocolError(code, `${what} has non-zero trailing bits in its last symbol`);
    }
  }
  return Buffer.from(text, 'base64');
}
