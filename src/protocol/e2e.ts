// End-to-end body encryption as the reference library defines it (wire spec §15, §19.2):
// X25519 keys derived from the Ed25519 identity, the raw shared secret used directly as the
// AES-256-GCM key, 12-byte nonce, no associated data, ciphertext||tag in standard base64.
// Pure computation (node:crypto only). It decides nothing about where ciphertexts go on the
// wire: the reference leaves that undefined and never negotiates e2e.

import { createCipheriv, createDecipheriv, createHash, createPrivateKey, createPublicKey, diffieHellman, randomBytes } from 'node:crypto';
import { decodeBase64Strict, encodeBase64 } from './base64.js';
import { isValidPublicKeyPoint, PUBLIC_KEY_BYTES, SEED_BYTES } from './ed25519.js';
import { ProtocolError } from './errors.js';

// RFC 8410 DER wrappers for raw X25519 keys (OID 1.3.101.110).
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

export const X25519_KEY_BYTES = 32;
export const E2E_KEY_BYTES = 32;
export const E2E_NONCE_BYTES = 12;
export const E2E_TAG_BYTES = 16;

const P = 2n ** 255n - 19n;

/** Ciphertext and nonce as the reference returns them from `encrypt_body`. */
export interface E2eCiphertext {
  /** Standard base64 of ciphertext || 16-byte GCM tag. */
  readonly ciphertext: string;
  /** Standard base64 of the 12-byte nonce. */
  readonly nonce: string;
}

/**
 * The X25519 secret of an identity: SHA-512(seed)[0..32], unclamped (spec §15; X25519 clamps
 * it when used). Not the seed itself (spec §20.12). This is also the Ed25519 secret scalar.
 */
export function x25519SecretFromSeed(seed: Uint8Array): Uint8Array {
  if (!(seed instanceof Uint8Array) || seed.length !== SEED_BYTES) throw new RangeError(`Ed25519 seed must be ${SEED_BYTES} bytes`);
  return new Uint8Array(createHash('sha512').update(seed).digest().subarray(0, X25519_KEY_BYTES));
}

/** The X25519 public key of an identity, computed from its secret (what the reference publishes). */
export function x25519PublicFromSeed(seed: Uint8Array): Uint8Array {
  const spki = createPublicKey(x25519PrivateKeyObject(x25519SecretFromSeed(seed))).export({ format: 'der', type: 'spki' });
  return new Uint8Array(spki.subarray(X25519_SPKI_PREFIX.length));
}

/**
 * Maps an Ed25519 public key to the X25519 public key of the same secret: u = (1+y)/(1-y) mod p
 * (spec §15). The reference has no code for this (it never learns a peer's X25519 key); the
 * map is the natural one and reproduces §19.2. y is read as dalek reads it: bit 255 ignored,
 * not required to be below p. Throws ProtocolError('invalid_signature') for a key that is not
 * a curve point or that is the identity (no Montgomery image).
 */
export function x25519PublicFromEd25519(publicKey: Uint8Array): Uint8Array {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new RangeError(`Ed25519 public key must be ${PUBLIC_KEY_BYTES} bytes`);
  }
  if (!isValidPublicKeyPoint(publicKey)) {
    throw new ProtocolError('invalid_signature', 'peer public key is not a point on the Ed25519 curve');
  }
  const y = (bytesToBigIntLE(publicKey) & ((1n << 255n) - 1n)) % P;
  const denominator = mod(1n - y);
  if (denominator === 0n) {
    throw new ProtocolError('invalid_signature', 'peer public key is the identity point: it has no X25519 form');
  }
  const u = mod((1n + y) * modPow(denominator, P - 2n));
  return bigIntToBytesLE(u, X25519_KEY_BYTES);
}

/**
 * Raw X25519 shared secret of our X25519 secret and a peer's X25519 public key.
 * An all-zero result (a low-order peer key, which contributes nothing) is refused with
 * ProtocolError('invalid_signature'); the reference (x25519-dalek, no `was_contributory`
 * check) would use the all-zero key.
 */
export function x25519SharedSecret(secret: Uint8Array, peerX25519Public: Uint8Array): Uint8Array {
  if (secret.length !== X25519_KEY_BYTES) throw new RangeError(`X25519 secret must be ${X25519_KEY_BYTES} bytes`);
  if (peerX25519Public.length !== X25519_KEY_BYTES) throw new RangeError(`X25519 public key must be ${X25519_KEY_BYTES} bytes`);
  const publicKey = createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, peerX25519Public]), format: 'der', type: 'spki' });
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey: x25519PrivateKeyObject(secret), publicKey });
  } catch (err) {
    // OpenSSL refuses to return an all-zero X25519 result (RFC 7748 §6.1); nothing else fails here.
    throw new ProtocolError('invalid_signature', 'peer X25519 key has low order: the shared secret would be all zero', { cause: err });
  }
  if (shared.every((b) => b === 0)) {
    throw new ProtocolError('invalid_signature', 'peer X25519 key has low order: the shared secret is all zero');
  }
  return new Uint8Array(shared);
}

/** The AES-256-GCM key for a peer: the raw X25519 secret, no KDF, same in both directions (spec §15). */
export function e2eSharedKey(seed: Uint8Array, peerEd25519PublicKey: Uint8Array): Uint8Array {
  return x25519SharedSecret(x25519SecretFromSeed(seed), x25519PublicFromEd25519(peerEd25519PublicKey));
}

/** AES-256-GCM, no associated data; a fresh random 12-byte nonce unless one is given (tests). */
export function e2eEncrypt(key: Uint8Array, plaintext: Uint8Array, nonce?: Uint8Array): E2eCiphertext {
  if (key.length !== E2E_KEY_BYTES) throw new RangeError(`e2e key must be ${E2E_KEY_BYTES} bytes`);
  const iv = nonce ?? randomBytes(E2E_NONCE_BYTES);
  if (iv.length !== E2E_NONCE_BYTES) throw new RangeError(`e2e nonce must be ${E2E_NONCE_BYTES} bytes`);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  return { ciphertext: encodeBase64(body), nonce: encodeBase64(iv) };
}

/**
 * Decrypts a peer's ciphertext. Bad base64, a nonce that is not 12 bytes (the reference would
 * panic in `Nonce::from_slice`), a missing tag or a failed authentication all throw
 * ProtocolError('invalid_envelope').
 */
export function e2eDecrypt(key: Uint8Array, ciphertextB64: string, nonceB64: string): Uint8Array {
  if (key.length !== E2E_KEY_BYTES) throw new RangeError(`e2e key must be ${E2E_KEY_BYTES} bytes`);
  const body = decodeBase64Strict(ciphertextB64, 'e2e ciphertext');
  const iv = decodeBase64Strict(nonceB64, 'e2e nonce');
  if (iv.length !== E2E_NONCE_BYTES) {
    throw new ProtocolError('invalid_envelope', `e2e nonce must be ${E2E_NONCE_BYTES} bytes, got ${iv.length}`);
  }
  if (body.length < E2E_TAG_BYTES) {
    throw new ProtocolError('invalid_envelope', `e2e ciphertext is ${body.length} bytes, shorter than the ${E2E_TAG_BYTES}-byte tag`);
  }
  const decipher = createDecipheriv('aes-256-gcm', key, iv);
  decipher.setAuthTag(body.subarray(body.length - E2E_TAG_BYTES));
  const head = decipher.update(body.subarray(0, body.length - E2E_TAG_BYTES));
  try {
    return new Uint8Array(Buffer.concat([head, decipher.final()]));
  } catch (err) {
    throw new ProtocolError('invalid_envelope', 'e2e ciphertext failed authentication', { cause: err });
  }
}

function x25519PrivateKeyObject(secret: Uint8Array) {
  return createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, secret]), format: 'der', type: 'pkcs8' });
}

function mod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

function modPow(base: bigint, exponent: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
  }
  return result;
}

function bytesToBigIntLE(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] ?? 0);
  return n;
}

function bigIntToBytesLE(n: bigint, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++, n >>= 8n) out[i] = Number(n & 0xffn);
  return out;
}
