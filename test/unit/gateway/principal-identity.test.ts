import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { derivePrincipalIdentity, isPrincipalIdentityName, principalIdentityInfo, principalIdentityName } from '../../../src/gateway/principal-identity.js';
import { isValidAgentName } from '../../../src/protocol/address.js';

interface Vector {
  readonly id: string;
  readonly masterSecretHex: string;
  readonly agent: string;
  readonly principal: string;
  readonly infoHex: string;
  readonly name: string;
  readonly seedHex: string;
  readonly publicKey: string;
}

// Computed by fixtures/workspace/make-principal-identities.py (Python hashlib + cryptography), not by our code.
const vectors = (JSON.parse(readFileSync(new URL('../../../fixtures/workspace/principal-identities.json', import.meta.url), 'utf8')) as { cases: Vector[] }).cases;
const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));

describe('derivePrincipalIdentity (DESIGN §4): fixtures/workspace/principal-identities.json', () => {
  it('has vectors', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(6);
  });

  for (const v of vectors) {
    it(`${v.id}: encoding, name, seed and public key match the Python computation`, () => {
      expect(Buffer.from(principalIdentityInfo(v.agent, v.principal)).toString('hex')).toBe(v.infoHex);
      expect(principalIdentityName(v.agent, v.principal)).toBe(v.name);
      const derived = derivePrincipalIdentity(hex(v.masterSecretHex), v.agent, v.principal);
      expect(derived.name).toBe(v.name);
      expect(Buffer.from(derived.identity.seed).toString('hex')).toBe(v.seedHex);
      expect(derived.identity.publicKeyText).toBe(v.publicKey);
    });
  }

  it('every derived name is a valid toq agent name of the documented shape', () => {
    for (const v of vectors) {
      expect(isValidAgentName(v.name)).toBe(true);
      expect(isPrincipalIdentityName(v.name)).toBe(true);
      expect(v.name).toMatch(/^a2a-[a-z2-7]{16}$/);
    }
  });

  it('is deterministic, and differs per agent, principal and master secret', () => {
    const master = hex('11'.repeat(32));
    const a = derivePrincipalIdentity(master, 'bob', 'jwt:i#alice');
    expect(derivePrincipalIdentity(new Uint8Array(master), 'bob', 'jwt:i#alice').identity.publicKeyText).toBe(a.identity.publicKeyText);
    const others = [derivePrincipalIdentity(master, 'bob', 'jwt:i#carol'), derivePrincipalIdentity(master, 'eve', 'jwt:i#alice')];
    for (const other of others) {
      expect(other.name).not.toBe(a.name);
      expect(other.identity.publicKeyText).not.toBe(a.identity.publicKeyText);
    }
    const otherWorkspace = derivePrincipalIdentity(hex('22'.repeat(32)), 'bob', 'jwt:i#alice');
    // The name hashes (agent, principal) only; the key needs the workspace's secret.
    expect(otherWorkspace.name).toBe(a.name);
    expect(otherWorkspace.identity.publicKeyText).not.toBe(a.identity.publicKeyText);
  });

  it('the 0x00 separator keeps (agent, principal) pairs apart', () => {
    const boundary = vectors.find((v) => v.id === 'boundary')!;
    const apiKey = vectors.find((v) => v.id === 'api-key')!;
    expect(boundary.agent + boundary.principal).toBe(apiKey.agent + apiKey.principal);
    expect(principalIdentityName(boundary.agent, boundary.principal)).not.toBe(principalIdentityName(apiKey.agent, apiKey.principal));
  });

  it('the name does not contain the principal', () => {
    const derived = derivePrincipalIdentity(hex('11'.repeat(32)), 'bob', 'alice');
    expect(derived.name).not.toContain('alice');
  });

  it('refuses misuse: a bad agent name, an empty principal, an empty secret', () => {
    const master = hex('11'.repeat(32));
    expect(() => derivePrincipalIdentity(master, 'Bob', 'x')).toThrow(RangeError);
    expect(() => derivePrincipalIdentity(master, 'bo\u0000b', 'x')).toThrow(RangeError);
    expect(() => derivePrincipalIdentity(master, 'bob', '')).toThrow(RangeError);
    expect(() => derivePrincipalIdentity(new Uint8Array(0), 'bob', 'x')).toThrow(RangeError);
  });

  it('isPrincipalIdentityName accepts only the exact shape', () => {
    // 8, 9, 0, 1 and uppercase are not in the base32 alphabet; the length is exact.
    for (const name of ['a2a-abcdefgh23456789', 'bob', 'a2a-abcdefghijklmno', 'a2a-abcdefghijklmnopq', 'a2a-ABCDEFGHIJKLMNOP', 'a2a-abcdefghijklmno1']) {
      expect(isPrincipalIdentityName(name)).toBe(false);
    }
    expect(isPrincipalIdentityName('a2a-abcdefghijklmnop')).toBe(true);
    expect(isPrincipalIdentityName('a2a-abcdefgh234567ab')).toBe(true);
  });
});
