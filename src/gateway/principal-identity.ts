// Per-principal toq identities (DESIGN §4, `a2a_principal_identities`): the name and Ed25519 key
// an authenticated A2A principal of a hosted agent speaks with on toq, derived from the workspace
// master secret so the same workspace gives the same identity after a restart, and a toq agent can
// approve or block A2A callers one by one. Pure computation (node:crypto): no I/O, no registry,
// and it never decides who counts as a principal.
//
// Encoding of (agent, principal), used both for the name and as the HKDF info:
//   UTF-8(agent) || 0x00 || UTF-8(principal)
// Unambiguous because an agent name is [a-z0-9-] (it never holds 0x00), so the first 0x00 ends it.
//   name = "a2a-" + lowercase RFC 4648 base32, no padding, of SHA-256(encoding)[0..10] (16 chars, 80 bits)
//   seed = HKDF-SHA256(ikm = master secret, salt = UTF-8 PRINCIPAL_IDENTITY_SALT, info = encoding, 32 bytes)
// The name is a hash of the principal, not a secret: anyone who knows (agent, principal) can
// compute it, but it does not reveal the principal. The key needs the master secret.
// Vectors: fixtures/workspace/principal-identities.json (computed by Python, not by this file).

import { createHash, hkdfSync } from 'node:crypto';
import { isValidAgentName } from '../protocol/address.js';
import { identityFromSeed, SEED_BYTES, type Identity } from '../protocol/ed25519.js';

export const PRINCIPAL_IDENTITY_PREFIX = 'a2a-';
/** Base32 characters after the prefix: 16 × 5 = 80 bits of SHA-256. */
export const PRINCIPAL_NAME_CHARS = 16;
/** HKDF salt; a new version of the derivation gets a new label (and new identities). */
export const PRINCIPAL_IDENTITY_SALT = 'toq-gateway principal identity v1';

const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const NAME_PATTERN = new RegExp(`^${PRINCIPAL_IDENTITY_PREFIX}[a-z2-7]{${PRINCIPAL_NAME_CHARS}}$`);

export interface PrincipalIdentity {
  /** The toq agent name, e.g. `a2a-mfrggzdfmztwq2lk`. */
  readonly name: string;
  readonly identity: Identity;
}

/** The byte encoding of (agent, principal) described in the header. */
export function principalIdentityInfo(agent: string, principal: string): Buffer {
  if (!isValidAgentName(agent)) throw new RangeError(`invalid agent name ${JSON.stringify(agent)}`);
  if (typeof principal !== 'string' || principal === '') throw new RangeError('principal must be a non-empty string');
  return Buffer.concat([Buffer.from(agent, 'utf8'), Buffer.of(0), Buffer.from(principal, 'utf8')]);
}

/** The derived identity's agent name; it needs no secret. */
export function principalIdentityName(agent: string, principal: string): string {
  const digest = createHash('sha256').update(principalIdentityInfo(agent, principal)).digest();
  return PRINCIPAL_IDENTITY_PREFIX + base32(digest.subarray(0, (PRINCIPAL_NAME_CHARS * 5) / 8));
}

/** Name and key pair of the identity `principal` speaks with when it calls hosted agent `agent`. */
export function derivePrincipalIdentity(masterSecret: Uint8Array, agent: string, principal: string): PrincipalIdentity {
  if (!(masterSecret instanceof Uint8Array) || masterSecret.length === 0) throw new RangeError('master secret must be non-empty bytes');
  const info = principalIdentityInfo(agent, principal);
  const seed = new Uint8Array(hkdfSync('sha256', masterSecret, Buffer.from(PRINCIPAL_IDENTITY_SALT, 'utf8'), info, SEED_BYTES));
  return { name: principalIdentityName(agent, principal), identity: identityFromSeed(seed) };
}

/** Whether `name` has the shape of a derived identity's name (a2a- + 16 base32 characters). */
export function isPrincipalIdentityName(name: string): boolean {
  return NAME_PATTERN.test(name);
}

/** RFC 4648 §6 base32, lowercase, no padding; `bytes.length * 8` must be a multiple of 5. */
function base32(bytes: Uint8Array): string {
  if ((bytes.length * 8) % 5 !== 0) throw new RangeError(`base32 without padding needs a multiple of 5 bits, got ${bytes.length} bytes`);
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(buffer >>> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  return out;
}
