// Ed25519 keys and signatures against fixtures/toq/keys.json and signatures.json (values from
// python cryptography and spec §19), plus the verifier's KeyObject cache and the python
// cross-check of the fixtures themselves.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  createVerifier,
  decodePublicKeyText,
  decodeSignatureText,
  encodePublicKeyText,
  identityFromSeed,
  isValidPublicKeyPoint,
  keyFileTextFromSeed,
  publicKeyObjectFromRaw,
  seedFromKeyFileText,
  signBytes,
  signToText,
  verifySignatureText,
  verifyText,
} from '../../../src/protocol/ed25519.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { thrownBy } from '../../helpers/thrown.js';
import { hex, str, toHex, toqFixtureCases, type KindCase } from '../../helpers/toq-fixtures.js';

describe('keys (fixtures/toq/keys.json)', () => {
  for (const c of toqFixtureCases<KindCase>('keys.json')) {
    it(c.id, () => {
      if (c.kind === 'identity') {
        const identity = identityFromSeed(hex(c, 'seedHex'));
        expect(toHex(identity.publicKey)).toBe(c.publicKeyHex);
        expect(identity.publicKeyText).toBe(c.publicKeyText);
        expect(encodePublicKeyText(identity.publicKey)).toBe(c.publicKeyText);
        expect(keyFileTextFromSeed(identity.seed)).toBe(c.keyFileText);
        expect(toHex(seedFromKeyFileText(str(c, 'keyFileText')))).toBe(c.seedHex);
        expect(toHex(decodePublicKeyText(str(c, 'publicKeyText')))).toBe(c.publicKeyHex);
      } else if (c.result === 'accept') {
        expect(toHex(seedFromKeyFileText(str(c, 'keyFileText')))).toBe(c.seedHex);
      } else {
        expect(() => seedFromKeyFileText(str(c, 'keyFileText'))).toThrow(RangeError);
      }
    });
  }
});

describe('signatures (fixtures/toq/signatures.json)', () => {
  for (const c of toqFixtureCases<KindCase>('signatures.json').filter((x) => x.kind !== 'rotation-proof')) {
    it(c.id, () => {
      switch (c.kind) {
        case 'sign': {
          const identity = identityFromSeed(hex(c, 'seedHex'));
          const message = hex(c, 'messageHex');
          if (typeof c.messageUtf8 === 'string') expect(toHex(new TextEncoder().encode(c.messageUtf8))).toBe(c.messageHex);
          expect(identity.publicKeyText).toBe(c.publicKeyText);
          expect(signToText(identity, message)).toBe(c.signatureText);
          expect(verifySignatureText(identity.publicKey, message, str(c, 'signatureText'))).toBe(true);
          expect(verifyText(identity.publicKeyObject, message, str(c, 'signatureText'))).toBe(true);
          expect(toHex(decodeSignatureText(str(c, 'signatureText')))).toBe(toHex(signBytes(identity, message)));
          break;
        }
        case 'public-key-text': {
          if (c.result === 'accept') {
            expect(toHex(decodePublicKeyText(str(c, 'text')))).toBe(c.publicKeyHex);
          } else {
            const err = thrownBy(() => decodePublicKeyText(str(c, 'text')));
            expect(err).toBeInstanceOf(ProtocolError);
            expect((err as ProtocolError).code).toBe(c.error);
          }
          break;
        }
        case 'signature-text': {
          const publicKey = decodePublicKeyText(str(c, 'publicKeyText'));
          const valid = c.result === 'valid';
          expect(verifySignatureText(publicKey, hex(c, 'messageHex'), str(c, 'signatureText'))).toBe(valid);
          expect(verifyText(publicKeyObjectFromRaw(publicKey), hex(c, 'messageHex'), str(c, 'signatureText'))).toBe(valid);
          break;
        }
        default:
          throw new Error(`unknown kind ${c.kind}`);
      }
    });
  }
});

describe('decoding helpers', () => {
  it('decodeSignatureText refuses malformed texts with invalid_signature', () => {
    for (const text of ['ed25519:AAAA', 'ED25519:' + 'A'.repeat(86) + '==', 'ed25519:' + 'A'.repeat(86)]) {
      expect((thrownBy(() => decodeSignatureText(text)) as ProtocolError).code).toBe('invalid_signature');
    }
  });

  it('isValidPublicKeyPoint refuses wrong lengths instead of throwing', () => {
    expect(isValidPublicKeyPoint(new Uint8Array(31))).toBe(false);
    expect(isValidPublicKeyPoint(new Uint8Array(33))).toBe(false);
  });

  it('decodePublicKeyText returns a copy, not a view of a shared buffer', () => {
    const key = decodePublicKeyText('ed25519:iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=');
    expect(key.byteOffset).toBe(0);
    expect(key.buffer.byteLength).toBe(32);
  });

  it('identityFromSeed refuses a seed of the wrong length', () => {
    expect(() => identityFromSeed(new Uint8Array(31))).toThrow(RangeError);
  });
});

describe('createVerifier', () => {
  const seeds = [1, 2, 3].map((b) => new Uint8Array(32).fill(b));
  const identities = seeds.map((s) => identityFromSeed(s));
  const message = new TextEncoder().encode('cache');

  it('keeps at most maxCachedKeys KeyObjects and stays correct after eviction', () => {
    const verifier = createVerifier({ maxCachedKeys: 2 });
    for (let round = 0; round < 3; round++) {
      for (const id of identities) {
        expect(verifier.verifyText(id.publicKey, message, signToText(id, message))).toBe(true);
        expect(verifier.cachedKeys).toBeLessThanOrEqual(2);
      }
    }
    expect(verifier.cachedKeys).toBe(2);
  });

  it('evicts the least recently used key', () => {
    const verifier = createVerifier({ maxCachedKeys: 2 });
    const [a, b, c] = identities as [(typeof identities)[0], (typeof identities)[0], (typeof identities)[0]];
    const sigA = signBytes(a, message);
    verifier.verifyBytes(a.publicKey, message, sigA);
    verifier.verifyBytes(b.publicKey, message, signBytes(b, message));
    verifier.verifyBytes(a.publicKey, message, sigA); // a is now the most recent
    verifier.verifyBytes(c.publicKey, message, signBytes(c, message)); // evicts b
    expect(verifier.cachedKeys).toBe(2);
    // A signature by a checked under b's key must still be refused: no cross-talk between entries.
    expect(verifier.verifyBytes(b.publicKey, message, sigA)).toBe(false);
    expect(verifier.verifyBytes(a.publicKey, message, sigA)).toBe(true);
  });

  it('does not confuse keys that are views into one buffer', () => {
    const verifier = createVerifier();
    const both = new Uint8Array(64);
    both.set(identities[0]!.publicKey, 0);
    both.set(identities[1]!.publicKey, 32);
    const sig = signToText(identities[1]!, message);
    expect(verifier.verifyText(both.subarray(0, 32), message, sig)).toBe(false);
    expect(verifier.verifyText(both.subarray(32, 64), message, sig)).toBe(true);
  });

  it('returns false for an off-curve key (the decoder refuses it earlier)', () => {
    const offCurve = new Uint8Array(32);
    offCurve[0] = 2;
    expect(createVerifier().verifyText(offCurve, message, signToText(identities[0]!, message))).toBe(false);
  });

  it('treats a bad key length or cache size as our own misuse', () => {
    expect(() => createVerifier().verifyText(new Uint8Array(31), message, 'ed25519:')).toThrow(RangeError);
    expect(() => createVerifier({ maxCachedKeys: 0 })).toThrow(RangeError);
  });
});

describe('python cross-check of the fixtures (test/crosscheck/ed25519_vectors.py)', () => {
  const script = fileURLToPath(new URL('../../crosscheck/ed25519_vectors.py', import.meta.url));
  const probe = spawnSync('python3', ['-c', 'import cryptography'], { encoding: 'utf8', timeout: 10_000 });
  const available = probe.status === 0;
  if (!available) console.log(`skipping python cross-check: python3 with the cryptography package is not available (${probe.error?.message ?? probe.stderr.trim()})`);

  it.skipIf(!available)('recomputes keys, signatures, e2e and base64 fixtures', () => {
    const run = spawnSync('python3', [script], { encoding: 'utf8', timeout: 30_000 });
    expect(run.stdout + run.stderr).toContain('all fixture values recomputed: ok');
    expect(run.status).toBe(0);
  });
});
