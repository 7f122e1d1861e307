// Key rotation proofs (spec §16) against the rotation-proof cases of fixtures/toq/signatures.json.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodePublicKeyText, identityFromSeed } from '../../../src/protocol/ed25519.js';
import { createRotationProof, verifyRotationProof } from '../../../src/protocol/rotation-proof.js';

interface RotationCase {
  id: string;
  kind: string;
  oldSeedHex?: string;
  oldPublicKeyText: string;
  newPublicKeyText: string;
  proofText: string;
  result: 'valid' | 'invalid';
}

const cases = (
  JSON.parse(readFileSync(new URL('../../../fixtures/toq/signatures.json', import.meta.url), 'utf8')) as { cases: RotationCase[] }
).cases.filter((c) => c.kind === 'rotation-proof');

describe('rotation proofs (fixtures/toq/signatures.json)', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  for (const c of cases) {
    it(c.id, () => {
      const oldKey = decodePublicKeyText(c.oldPublicKeyText);
      const newKey = decodePublicKeyText(c.newPublicKeyText);
      if (c.oldSeedHex !== undefined) {
        const oldIdentity = identityFromSeed(Buffer.from(c.oldSeedHex, 'hex'));
        expect(oldIdentity.publicKeyText).toBe(c.oldPublicKeyText);
        expect(createRotationProof(oldIdentity, newKey)).toBe(c.proofText);
      }
      expect(verifyRotationProof(oldKey, newKey, c.proofText)).toBe(c.result === 'valid');
    });
  }
});

describe('rotation proof misuse and malformed proofs', () => {
  const oldIdentity = identityFromSeed(new Uint8Array(32).fill(1));
  const newIdentity = identityFromSeed(new Uint8Array(32).fill(2));

  it('a malformed proof text is just invalid', () => {
    const proof = createRotationProof(oldIdentity, newIdentity.publicKey);
    for (const bad of [proof.slice('ed25519:'.length), proof.toUpperCase(), proof.slice(0, -2), '']) {
      expect(verifyRotationProof(oldIdentity.publicKey, newIdentity.publicKey, bad)).toBe(false);
    }
  });

  it('refuses a new key that is not 32 bytes', () => {
    expect(() => createRotationProof(oldIdentity, new Uint8Array(33))).toThrow(RangeError);
    expect(() => verifyRotationProof(oldIdentity.publicKey, new Uint8Array(31), 'ed25519:')).toThrow(RangeError);
  });
});
