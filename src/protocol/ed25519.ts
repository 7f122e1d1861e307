// Ed25519 identities, keys and signatures in the toq text form `ed25519:<base64>` (wire spec
// §4.1, §4.3, §5.3, §20.11-12), accepting exactly what the reference (ed25519-dalek 2.2.0) accepts.
// Pure computation: node:crypto and @noble/curves only, no I/O, no clock.
//
// Signing and verifying use node's native Ed25519 (OpenSSL), measured 10-15x faster than
// @noble/curves on node 20. Verification semantics were checked case by case
// against the reference in fixtures/toq/signature-edge-cases.json: both are cofactorless, both
// require s < L, both compare R as bytes, both hash the public key bytes as received, both
// accept small-order and mixed-order keys. OpenSSL does not validate a raw public key when it
// is imported, so point validity (dalek's `VerifyingKey::from_bytes`) is checked separately.

import { createPrivateKey, createPublicKey, randomBytes, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { ed25519 } from '@noble/curves/ed25519.js';
import { KEY_PREFIX } from './constants.js';
import { decodeBase64Strict, encodeBase64 } from './base64.js';
import { ProtocolError } from './errors.js';

// DER wrappers for raw keys (RFC 8410): node imports raw Ed25519 keys only through DER or JWK.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export const SEED_BYTES = 32;
export const PUBLIC_KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
/** Default number of public keys whose KeyObject a verifier keeps. */
export const VERIFIER_CACHE_KEYS = 1024;

/** An Ed25519 key pair. `seed` is the 32-byte RFC 8032 private key (the content of identity.key). */
export interface Identity {
  readonly seed: Uint8Array;
  readonly publicKey: Uint8Array;
  /** `ed25519:` + base64 of the public key. */
  readonly publicKeyText: string;
  readonly privateKeyObject: KeyObject;
  readonly publicKeyObject: KeyObject;
}

export function identityFromSeed(seed: Uint8Array): Identity {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) {
    throw new RangeError(`Ed25519 seed must be ${SEED_BYTES} bytes`);
  }
  const privateKeyObject = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicKeyObject = createPublicKey(privateKeyObject);
  const spki = publicKeyObject.export({ format: 'der', type: 'spki' });
  const publicKey = new Uint8Array(spki.subarray(SPKI_PREFIX.length));
  return {
    seed: new Uint8Array(seed),
    publicKey,
    publicKeyText: encodePublicKeyText(publicKey),
    privateKeyObject,
    publicKeyObject,
  };
}

export function generateIdentity(): Identity {
  return identityFromSeed(randomBytes(SEED_BYTES));
}

// Rust's str::trim removes White_Space code points; unlike JS trim() it keeps U+FEFF.
const RUST_TRIM = /^[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/**
 * Reads the seed from the text of an identity.key file: standard base64 of the 32-byte seed,
 * surrounding whitespace ignored (the reference trims before decoding; it writes no newline).
 * A bad file is our own configuration problem, so this throws RangeError, not ProtocolError.
 */
export function seedFromKeyFileText(text: string): Uint8Array {
  let seed: Buffer;
  try {
    seed = decodeBase64Strict(text.replace(RUST_TRIM, ''), 'identity.key');
  } catch (err) {
    throw new RangeError('identity.key is not canonical padded base64', { cause: err });
  }
  if (seed.length !== SEED_BYTES) throw new RangeError(`identity.key must hold ${SEED_BYTES} bytes, got ${seed.length}`);
  return new Uint8Array(seed);
}

/** The identity.key file content the reference writes: base64 of the seed, no newline. */
export function keyFileTextFromSeed(seed: Uint8Array): string {
  if (seed.length !== SEED_BYTES) throw new RangeError(`Ed25519 seed must be ${SEED_BYTES} bytes`);
  return encodeBase64(seed);
}

export function publicKeyObjectFromRaw(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== PUBLIC_KEY_BYTES) throw new RangeError(`Ed25519 public key must be ${PUBLIC_KEY_BYTES} bytes`);
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
}

/**
 * Whether 32 bytes decode to a curve point the way curve25519-dalek 4.1 `decompress` decides
 * (ed25519-dalek `VerifyingKey::from_bytes`): bit 255 is the sign of x, the other 255 bits
 * are y and are NOT required to be below p (non-canonical y is reduced, not refused), and
 * x = 0 with the sign bit set is accepted. Only a y without a matching x is refused.
 * noble's ZIP-215 decoding has exactly these rules; its RFC 8032 mode would refuse both
 * non-canonical forms, which the reference accepts.
 */
export function isValidPublicKeyPoint(publicKey: Uint8Array): boolean {
  if (publicKey.length !== PUBLIC_KEY_BYTES) return false;
  return ed25519.utils.isValidPublicKey(publicKey, true);
}

/** `ed25519:` + canonical base64 of the 32 key bytes, as the reference prints it. */
export function encodePublicKeyText(publicKey: Uint8Array): string {
  if (publicKey.length !== PUBLIC_KEY_BYTES) throw new RangeError(`Ed25519 public key must be ${PUBLIC_KEY_BYTES} bytes`);
  return KEY_PREFIX + encodeBase64(publicKey);
}

/**
 * Parses a peer's `public_key` text (spec §4.3 step 3): the `ed25519:` prefix (exact case),
 * strict base64, exactly 32 bytes, and a curve point per isValidPublicKeyPoint.
 * Throws ProtocolError('invalid_signature') otherwise, like any failed handshake check.
 */
export function decodePublicKeyText(text: string): Uint8Array {
  const bytes = decodePrefixed(text, PUBLIC_KEY_BYTES, 'public key');
  if (!isValidPublicKeyPoint(bytes)) {
    throw new ProtocolError('invalid_signature', 'public key is not a point on the Ed25519 curve');
  }
  return new Uint8Array(bytes);
}

/** Parses an `ed25519:` signature text into its 64 bytes, or throws ProtocolError('invalid_signature'). */
export function decodeSignatureText(text: string): Uint8Array {
  return new Uint8Array(decodePrefixed(text, SIGNATURE_BYTES, 'signature'));
}

/**
 * Parses `ed25519:<base64>` into raw bytes of the given length, strictly (spec §4.3 step 3,
 * §20.11). Every failure, bad base64 included, is ProtocolError('invalid_signature').
 */
export function decodePrefixed(text: string, length: number, what: string): Buffer {
  if (typeof text !== 'string' || !text.startsWith(KEY_PREFIX)) {
    throw new ProtocolError('invalid_signature', `${what} must start with "${KEY_PREFIX}"`);
  }
  const bytes = decodeBase64Strict(text.slice(KEY_PREFIX.length), what, 'invalid_signature');
  if (bytes.length !== length) {
    throw new ProtocolError('invalid_signature', `${what} must be ${length} bytes, got ${bytes.length}`);
  }
  return bytes;
}

/** Signs raw bytes (pure Ed25519, RFC 8032, no prehash, no context); returns the 64-byte signature. */
export function signBytes(identity: Identity, message: Uint8Array): Buffer {
  return nodeSign(null, message, identity.privateKeyObject);
}

/** `ed25519:` + base64 of the signature over `message` (spec §4.1, §5.3). */
export function signToText(identity: Identity, message: Uint8Array): string {
  return KEY_PREFIX + encodeBase64(signBytes(identity, message));
}

/** Verifies a raw 64-byte signature. Never throws for bad signatures; false instead. */
export function verifyBytes(publicKey: KeyObject, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== SIGNATURE_BYTES) return false;
  try {
    return nodeVerify(null, message, publicKey, signature);
  } catch {
    // OpenSSL reports an undecodable key or signature as an exception; to us it is just "invalid".
    return false;
  }
}

/** Verifies an `ed25519:` text signature; false for any malformed or wrong signature. */
export function verifyText(publicKey: KeyObject, message: Uint8Array, signatureText: string): boolean {
  let signature: Buffer;
  try {
    signature = decodePrefixed(signatureText, SIGNATURE_BYTES, 'signature');
  } catch {
    // A malformed signature text is simply not a valid signature (the reference: Err(_) either way).
    return false;
  }
  return verifyBytes(publicKey, message, signature);
}

export interface VerifierOptions {
  /** How many public keys keep their KeyObject (least recently used ones are dropped). @default 1024 */
  maxCachedKeys?: number;
}

/** Verifies signatures by raw public key, reusing one KeyObject per key. */
export interface Verifier {
  /** `signatureText` is the `ed25519:` form; false for any malformed or wrong signature. */
  verifyText(publicKey: Uint8Array, message: Uint8Array, signatureText: string): boolean;
  /** `signature` is the raw 64 bytes; false for any wrong signature. */
  verifyBytes(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;
  /** Number of KeyObjects currently cached. */
  readonly cachedKeys: number;
}

/**
 * A verifier with a bounded LRU of KeyObjects: wrapping a raw key in DER and importing it
 * costs about as much as the verification itself, so doing it per call halves the rate.
 * The public key is expected to come from decodePublicKeyText; an off-curve key simply fails.
 */
export function createVerifier(options: VerifierOptions = {}): Verifier {
  const max = options.maxCachedKeys ?? VERIFIER_CACHE_KEYS;
  if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`maxCachedKeys must be a positive integer, got ${max}`);
  // A Map iterates in insertion order: re-inserting on each hit keeps the oldest entry first.
  const cache = new Map<string, KeyObject>();

  const keyObjectFor = (publicKey: Uint8Array): KeyObject => {
    if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_BYTES) {
      throw new RangeError(`Ed25519 public key must be ${PUBLIC_KEY_BYTES} bytes`);
    }
    const id = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.length).toString('base64');
    let keyObject = cache.get(id);
    if (keyObject !== undefined) {
      cache.delete(id);
    } else {
      keyObject = publicKeyObjectFromRaw(publicKey);
      if (cache.size >= max) {
        const oldest = cache.keys().next();
        if (oldest.done !== true) cache.delete(oldest.value);
      }
    }
    cache.set(id, keyObject);
    return keyObject;
  };

  return {
    verifyText: (publicKey, message, signatureText) => verifyText(keyObjectFor(publicKey), message, signatureText),
    verifyBytes: (publicKey, message, signature) => verifyBytes(keyObjectFor(publicKey), message, signature),
    get cachedKeys() {
      return cache.size;
    },
  };
}

const defaultVerifier = createVerifier();

/** verifyText on a raw public key through a shared, bounded KeyObject cache. */
export function verifySignatureText(publicKey: Uint8Array, message: Uint8Array, signatureText: string): boolean {
  return defaultVerifier.verifyText(publicKey, message, signatureText);
}
