// Key rotation proof (wire spec §16): the OLD key's Ed25519 signature over the raw 32 bytes of
// the NEW public key, as `ed25519:<base64>`. Pure; it does not decide when a rotation is
// allowed or what happens to sessions (the reference itself never sends or checks a proof).

import { PUBLIC_KEY_BYTES, signToText, verifySignatureText, type Identity } from './ed25519.js';

/** `ed25519:` + base64 of `oldIdentity`'s signature over `newPublicKey` (32 raw bytes). */
export function createRotationProof(oldIdentity: Identity, newPublicKey: Uint8Array): string {
  if (newPublicKey.length !== PUBLIC_KEY_BYTES) throw new RangeError(`new public key must be ${PUBLIC_KEY_BYTES} bytes`);
  return signToText(oldIdentity, newPublicKey);
}

/**
 * Whether `proofText` is `oldPublicKey`'s signature over `newPublicKey`, judged as the
 * reference's `verify_rotation_proof` would (ed25519-dalek `verify`). False for any malformed
 * proof text; a caller that needs a code uses 'key_rotation_invalid'.
 */
export function verifyRotationProof(oldPublicKey: Uint8Array, newPublicKey: Uint8Array, proofText: string): boolean {
  if (newPublicKey.length !== PUBLIC_KEY_BYTES) throw new RangeError(`new public key must be ${PUBLIC_KEY_BYTES} bytes`);
  return verifySignatureText(oldPublicKey, newPublicKey, proofText);
}
