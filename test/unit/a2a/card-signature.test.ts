import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { calculateJwkThumbprint, createLocalJWKSet, decodeProtectedHeader, flattenedVerify, type JSONWebKeySet } from 'jose';
import { AgentCard, canonicalizeAgentCard, verifyAgentCardSignature } from '@a2a-js/sdk';
import { buildAgentCard, type AgentCardOptions } from '../../../src/a2a/agent-card.js';
import { buildJwks, createCardSigner, publicJwkOf, signAgentCard, type CardSigningKey, type JsonWebKeySet } from '../../../src/a2a/card-signature.js';

const options: AgentCardOptions = {
  name: 'alice (toq)',
  description: 'd',
  version: '0.1.0',
  jsonRpcUrl: 'https://gw.example/a2a',
  restUrl: 'https://gw.example',
  skills: [{ id: 'default', name: 'alice', description: 's', tags: ['toq'] }],
  // The bearer scheme is a oneof: the case where the in-memory and the served shapes differ.
  requiresBearer: true,
  extensions: [{ uri: 'urn:toq:a2a:identity:v1', description: 'id', params: { address: 'toq://gw.example/alice', publicKey: 'ed25519:AAAA' } }],
};
const JKU = 'https://gw.example/.well-known/jwks.json';

function newKey(): CardSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return { privateKey, publicKey };
}

/** What a client receives: the card's ProtoJSON through the wire and back. */
function served(card: AgentCard): Record<string, unknown> {
  return JSON.parse(JSON.stringify(AgentCard.toJSON(card))) as Record<string, unknown>;
}

/** An independent verifier: jose over the served JSON, the key picked from the JWKS by kid. */
async function verifyServed(json: Record<string, unknown>, jwks: JsonWebKeySet): Promise<void> {
  const signatures = json['signatures'] as Array<{ protected: string; signature: string }>;
  expect(signatures).toHaveLength(1);
  // a2a-notes §9 step 1: drop `signatures`, proto-normalize, JCS; the SDK's function is the reference here.
  const payload = Buffer.from(canonicalizeAgentCard(json as unknown as AgentCard)).toString('base64url');
  await flattenedVerify({ payload, protected: signatures[0]!.protected, signature: signatures[0]!.signature }, createLocalJWKSet(jwks as unknown as JSONWebKeySet));
}

describe('card signature (a2a-notes §9, DESIGN §4)', () => {
  it('the served card verifies with jose against the published JWKS, and with the SDK verifier', async () => {
    const key = newKey();
    const jwks = buildJwks([key.publicKey]);
    const json = served(signAgentCard(buildAgentCard(options), key, { jku: JKU }));
    await verifyServed(json, jwks);
    const sdkVerify = verifyAgentCardSignature((kid, jku) => {
      expect(jku).toBe(JKU);
      const jwk = jwks.keys.find((k) => k.kid === kid);
      if (jwk === undefined) throw new Error(`no key ${kid}`);
      return Promise.resolve(createPublicKey({ key: { ...jwk }, format: 'jwk' }));
    });
    // Fed the served JSON: the SDK canonicalizes through AgentCard.fromJSON, which misreads its own
    // in-memory oneof shapes (the bearer scheme), so only the JSON form gives the bytes a verifier
    // in any language computes.
    await expect(sdkVerify(json as unknown as AgentCard)).resolves.toBeUndefined();
  });

  it('protected header: EdDSA, JOSE, kid = the RFC 7638 thumbprint of the JWK, jku', async () => {
    const key = newKey();
    const json = served(signAgentCard(buildAgentCard(options), key, { jku: JKU }));
    const header = decodeProtectedHeader((json['signatures'] as Array<{ protected: string }>)[0]!);
    const jwk = publicJwkOf(key.publicKey);
    expect(header).toEqual({ alg: 'EdDSA', typ: 'JOSE', kid: await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: jwk.x }), jku: JKU });
    expect(jwk).toEqual({ kty: 'OKP', crv: 'Ed25519', x: key.publicKey.export({ format: 'jwk' }).x, kid: header.kid, alg: 'EdDSA', use: 'sig' });
  });

  it('RFC 8037 appendix A.3: the thumbprint of the example Ed25519 key', () => {
    const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }, format: 'jwk' });
    expect(publicJwkOf(publicKey).kid).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k');
  });

  it('a tampered card fails: description, toq key in the extension, endpoint URL', async () => {
    const key = newKey();
    const jwks = buildJwks([key.publicKey]);
    const json = served(signAgentCard(buildAgentCard(options), key));
    const tamperings: Array<(card: Record<string, unknown>) => void> = [
      (c) => (c['description'] = 'evil'),
      (c) => (((c['capabilities'] as { extensions: Array<{ params: Record<string, unknown> }> }).extensions[0]!.params)['publicKey'] = 'ed25519:BBBB'),
      (c) => ((c['supportedInterfaces'] as Array<{ url: string }>)[0]!.url = 'https://evil.example/a2a'),
    ];
    for (const tamper of tamperings) {
      const copy = structuredClone(json);
      tamper(copy);
      await expect(verifyServed(copy, jwks)).rejects.toThrow();
    }
  });

  it("another agent's key does not verify the card", async () => {
    const json = served(signAgentCard(buildAgentCard(options), newKey()));
    const other = buildJwks([newKey().publicKey]);
    await expect(verifyServed(json, other)).rejects.toThrow();
  });

  it('key rotation: the signer reads the key per call; kid and signature change, the old JWKS no longer verifies', async () => {
    let key = newKey();
    const sign = createCardSigner(() => key);
    const card = buildAgentCard(options);
    const before = served(sign(card));
    expect(served(sign(card))).toEqual(before); // unchanged key and card: the same signature
    const oldJwks = buildJwks([key.publicKey]);
    key = newKey();
    const after = served(sign(card));
    expect(after['signatures']).not.toEqual(before['signatures']);
    await verifyServed(after, buildJwks([key.publicKey]));
    await expect(verifyServed(after, oldJwks)).rejects.toThrow();
  });

  it('a changed card is re-signed by the same signer', async () => {
    const key = newKey();
    const sign = createCardSigner(() => key);
    const json = served(sign(buildAgentCard({ ...options, description: 'changed' })));
    served(sign(buildAgentCard(options)));
    await verifyServed(json, buildJwks([key.publicKey]));
    await verifyServed(served(sign(buildAgentCard({ ...options, version: '0.2.0' }))), buildJwks([key.publicKey]));
  });

  it('the JWKS lists each distinct key once, public parts only', () => {
    const a = newKey();
    const b = newKey();
    const jwks = buildJwks([a.publicKey, b.publicKey, a.publicKey]);
    expect(jwks.keys.map((k) => k.x)).toEqual([a.publicKey.export({ format: 'jwk' }).x, b.publicKey.export({ format: 'jwk' }).x]);
    expect(JSON.stringify(jwks)).not.toMatch(/"d"/);
    expect(() => buildJwks([a.privateKey])).toThrow(TypeError);
  });
});
