// End-to-end body encryption (spec §15) against fixtures/toq/e2e.json (python cryptography
// values; seed A/B and the AES-GCM vector equal spec §19.2).
import { describe, expect, it } from 'vitest';
import {
  e2eDecrypt,
  e2eEncrypt,
  e2eSharedKey,
  x25519PublicFromEd25519,
  x25519PublicFromSeed,
  x25519SecretFromSeed,
  x25519SharedSecret,
} from '../../../src/protocol/e2e.js';
import { decodePublicKeyText, identityFromSeed } from '../../../src/protocol/ed25519.js';
import { ProtocolError } from '../../../src/protocol/errors.js';
import { thrownBy } from '../../helpers/thrown.js';
import { hex, str, toHex, toqFixtureCases, type KindCase } from '../../helpers/toq-fixtures.js';

const cases = toqFixtureCases<KindCase>('e2e.json');

describe('e2e (fixtures/toq/e2e.json)', () => {
  for (const c of cases) {
    it(c.id, () => {
      switch (c.kind) {
        case 'x25519': {
          const seed = hex(c, 'seedHex');
          expect(toHex(identityFromSeed(seed).publicKey)).toBe(c.ed25519PublicHex);
          expect(toHex(x25519SecretFromSeed(seed))).toBe(c.x25519SecretHex);
          expect(toHex(x25519PublicFromSeed(seed))).toBe(c.x25519PublicHex);
          expect(toHex(x25519PublicFromEd25519(hex(c, 'ed25519PublicHex')))).toBe(c.x25519PublicHex);
          break;
        }
        case 'shared-key': {
          const seed = hex(c, 'seedHex');
          const peer = decodePublicKeyText(str(c, 'peerPublicKeyText'));
          if (typeof c.error === 'string') {
            const err = thrownBy(() => e2eSharedKey(seed, peer));
            expect(err).toBeInstanceOf(ProtocolError);
            expect((err as ProtocolError).code).toBe(c.error);
          } else {
            expect(toHex(e2eSharedKey(seed, peer))).toBe(c.sharedKeyHex);
          }
          break;
        }
        case 'encrypt': {
          const key = hex(c, 'keyHex');
          const sealed = e2eEncrypt(key, hex(c, 'plaintextHex'), hex(c, 'nonceHex'));
          expect(sealed).toEqual({ ciphertext: c.ciphertext, nonce: c.nonce });
          expect(toHex(e2eDecrypt(key, str(c, 'ciphertext'), str(c, 'nonce')))).toBe(c.plaintextHex);
          break;
        }
        case 'decrypt-reject': {
          const err = thrownBy(() => e2eDecrypt(hex(c, 'keyHex'), str(c, 'ciphertext'), str(c, 'nonce')));
          expect(err).toBeInstanceOf(ProtocolError);
          expect((err as ProtocolError).code).toBe(c.error);
          break;
        }
        default:
          throw new Error(`unknown kind ${c.kind}`);
      }
    });
  }
});

describe('e2e behaviour', () => {
  const a = new Uint8Array(32).fill(1);
  const b = new Uint8Array(32).fill(2);
  const pubA = identityFromSeed(a).publicKey;
  const pubB = identityFromSeed(b).publicKey;

  it('draws a fresh random nonce per message', () => {
    const key = e2eSharedKey(a, pubB);
    const plaintext = new TextEncoder().encode('same text');
    const first = e2eEncrypt(key, plaintext);
    const second = e2eEncrypt(key, plaintext);
    expect(first.nonce).not.toBe(second.nonce);
    expect(first.ciphertext).not.toBe(second.ciphertext);
    expect(Buffer.from(first.nonce, 'base64')).toHaveLength(12);
    expect(toHex(e2eDecrypt(e2eSharedKey(b, pubA), first.ciphertext, first.nonce))).toBe(toHex(plaintext));
  });

  it('a ciphertext for B does not open with another key', () => {
    const sealed = e2eEncrypt(e2eSharedKey(a, pubB), new TextEncoder().encode('x'));
    const other = identityFromSeed(new Uint8Array(32).fill(3)).publicKey;
    expect(() => e2eDecrypt(e2eSharedKey(a, other), sealed.ciphertext, sealed.nonce)).toThrow(ProtocolError);
  });

  it('x25519SharedSecret refuses a low-order Montgomery key (u = 0)', () => {
    expect(() => x25519SharedSecret(x25519SecretFromSeed(a), new Uint8Array(32))).toThrow(ProtocolError);
  });

  it('refuses an off-curve Ed25519 peer key', () => {
    const offCurve = new Uint8Array(32);
    offCurve[0] = 2;
    expect((thrownBy(() => x25519PublicFromEd25519(offCurve)) as ProtocolError).code).toBe('invalid_signature');
  });

  it('treats wrong key and nonce sizes from our own code as RangeError', () => {
    expect(() => e2eEncrypt(new Uint8Array(16), new Uint8Array(1))).toThrow(RangeError);
    expect(() => e2eEncrypt(new Uint8Array(32), new Uint8Array(1), new Uint8Array(8))).toThrow(RangeError);
    expect(() => x25519SecretFromSeed(new Uint8Array(31))).toThrow(RangeError);
    expect(() => x25519PublicFromEd25519(new Uint8Array(31))).toThrow(RangeError);
  });
});
