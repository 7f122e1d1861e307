// The JWT verifier on its own: the issuer's JWKS comes from an injected fetch (the outside world
// faked without sockets), keys and tokens are made here with jose. Each refusal must carry its
// reason, and a JWKS that cannot be fetched must make "unavailable", not "invalid".

import { describe, expect, it } from 'vitest';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { A2A_JWT_ALGORITHM_VALUES } from '../../../src/config/config-schema.js';
import { createJwtVerifier, DEFAULT_JWT_ALGORITHMS, isJwtShaped, jwtPrincipal, SUPPORTED_JWT_ALGORITHMS, type JwtVerdict } from '../../../src/a2a/jwt-auth.js';

const ISSUER = 'https://issuer.example';
const AUDIENCE = 'toq-gateway';
const JWKS_URL = 'https://issuer.example/jwks.json';

interface TestKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
}

async function makeKey(kid: string, alg: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function token(key: TestKey, claims: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', iat: now, exp: now + 300, ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'JWT', ...header })
    .sign(key.privateKey);
}

/** A fetch serving `keys` as the JWKS, or failing as told; counts calls. */
function fakeJwks(keys: () => readonly TestKey[] | 'down' | 'status-500') {
  const calls = { count: 0 };
  const fetchImpl = (async () => {
    calls.count++;
    const state = keys();
    if (state === 'down') throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') });
    if (state === 'status-500') return new Response('oops', { status: 500 });
    return Response.json({ keys: state.map((k) => k.jwk) });
  }) as typeof fetch;
  return { fetchImpl, calls };
}

const refusal = (verdict: JwtVerdict) => (verdict.ok ? 'accepted' : `${verdict.isUnavailable ? 'unavailable' : 'invalid'}: ${verdict.reason}`);

describe('isJwtShaped / jwtPrincipal', () => {
  it('three base64url segments (the signature may be empty) are a JWT; opaque keys are not', () => {
    expect(isJwtShaped('eyJh.eyJz.c2ln')).toBe(true);
    expect(isJwtShaped('eyJh.eyJz.')).toBe(true);
    expect(isJwtShaped('an-api-key')).toBe(false);
    expect(isJwtShaped('a.b')).toBe(false);
    expect(isJwtShaped('a.b.c.d')).toBe(false);
    expect(isJwtShaped('a b.c.d')).toBe(false);
  });

  it('the principal names issuer and subject and cannot collide with the API key principal', () => {
    expect(jwtPrincipal('https://i', 'bob')).toBe('jwt:https://i#bob');
    expect(jwtPrincipal('https://i', 'bob')).not.toBe(jwtPrincipal('https://i', 'bob2'));
  });

  it('the algorithm lists agree with the config layer and exclude none and HS*', () => {
    expect([...SUPPORTED_JWT_ALGORITHMS]).toEqual([...A2A_JWT_ALGORITHM_VALUES]);
    for (const alg of SUPPORTED_JWT_ALGORITHMS) expect(alg).not.toMatch(/^(none|HS\d+)$/i);
    expect(DEFAULT_JWT_ALGORITHMS).toEqual(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']);
  });

  it('refuses options the config layer should have refused', () => {
    expect(() => createJwtVerifier({ issuer: '', jwksUrl: JWKS_URL })).toThrow(RangeError);
    expect(() => createJwtVerifier({ issuer: ISSUER, jwksUrl: 'file:///etc/jwks' })).toThrow(RangeError);
    expect(() => createJwtVerifier({ issuer: ISSUER, jwksUrl: JWKS_URL, algorithms: ['HS256'] })).toThrow(/HS256/);
    expect(() => createJwtVerifier({ issuer: ISSUER, jwksUrl: JWKS_URL, algorithms: [] })).toThrow(RangeError);
  });
});

describe('createJwtVerifier', () => {
  it('accepts RS256, ES256 and EdDSA tokens from the JWKS and derives the principal', async () => {
    const keys = [await makeKey('rsa', 'RS256'), await makeKey('ec', 'ES256'), await makeKey('ed', 'EdDSA')];
    const { fetchImpl, calls } = fakeJwks(() => keys);
    const verifier = createJwtVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: JWKS_URL }, { fetch: fetchImpl });
    for (const key of keys) {
      const verdict = await verifier.verify(await token(key, { sub: `user-${key.kid}` }));
      expect(verdict).toEqual({ ok: true, principal: `jwt:${ISSUER}#user-${key.kid}`, subject: `user-${key.kid}` });
    }
    // One fetch, then the cache (jose's cacheMaxAge).
    expect(calls.count).toBe(1);
  });

  it('names the reason of every refusal', async () => {
    const key = await makeKey('rsa', 'RS256');
    const stranger = await makeKey('stranger', 'RS256');
    const verifier = createJwtVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: JWKS_URL }, { fetch: fakeJwks(() => [key]).fetchImpl });
    const now = Math.floor(Date.now() / 1000);
    const cases: Array<[string, Promise<string> | string]> = [
      ['invalid: expired', token(key, { exp: now - 120 })],
      ['invalid: not yet valid', token(key, { nbf: now + 120 })],
      ['invalid: wrong issuer', token(key, { iss: 'https://evil.example' })],
      ['invalid: wrong audience', token(key, { aud: 'someone-else' })],
      ['invalid: missing sub', token(key, { sub: undefined })],
      ['invalid: missing exp', token(key, { exp: undefined })],
      ['invalid: unknown kid', token(stranger)],
      // Same kid as a real key, other key material.
      ['invalid: bad signature', token({ ...stranger, kid: 'rsa' })],
      ['invalid: algorithm not allowed', new SignJWT({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', exp: now + 300 }).setProtectedHeader({ alg: 'HS256', kid: 'rsa' }).sign(new TextEncoder().encode('secret'))],
      ['invalid: algorithm not allowed', `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ iss: ISSUER, aud: AUDIENCE, sub: 'alice', exp: now + 300 })}.`],
      ['invalid: malformed', 'aaa.bbb.ccc'],
    ];
    for (const [expected, pending] of cases) expect(refusal(await verifier.verify(await pending)), expected).toBe(expected);
  });

  it('within the clock tolerance (30 s) an expired token still passes', async () => {
    const key = await makeKey('rsa', 'RS256');
    const verifier = createJwtVerifier({ issuer: ISSUER, jwksUrl: JWKS_URL }, { fetch: fakeJwks(() => [key]).fetchImpl });
    const now = Math.floor(Date.now() / 1000);
    expect((await verifier.verify(await token(key, { exp: now - 5 }))).ok).toBe(true);
    expect((await verifier.verify(await token(key, { nbf: now + 5 }))).ok).toBe(true);
  });

  it('without a configured audience, aud is not checked', async () => {
    const key = await makeKey('ec', 'ES256');
    const verifier = createJwtVerifier({ issuer: ISSUER, jwksUrl: JWKS_URL }, { fetch: fakeJwks(() => [key]).fetchImpl });
    expect((await verifier.verify(await token(key, { aud: 'anything' }))).ok).toBe(true);
  });

  it('a narrowed algorithm list refuses the others', async () => {
    const rsa = await makeKey('rsa', 'RS256');
    const ec = await makeKey('ec', 'ES256');
    const verifier = createJwtVerifier({ issuer: ISSUER, jwksUrl: JWKS_URL, algorithms: ['ES256'] }, { fetch: fakeJwks(() => [rsa, ec]).fetchImpl });
    expect(refusal(await verifier.verify(await token(rsa)))).toBe('invalid: algorithm not allowed');
    expect((await verifier.verify(await token(ec))).ok).toBe(true);
  });

  it('an unreachable JWKS makes "unavailable"; within the cooldown no new fetch is tried; after it, recovery', async () => {
    const key = await makeKey('rsa', 'RS256');
    let state: 'down' | 'up' | 'status-500' = 'down';
    let clock = 1_000_000;
    const { fetchImpl, calls } = fakeJwks(() => (state === 'up' ? [key] : state));
    const verifier = createJwtVerifier({ issuer: ISSUER, jwksUrl: JWKS_URL, jwksFailureCooldownMs: 5_000 }, { fetch: fetchImpl, now: () => clock });
    const good = await token(key);
    expect(refusal(await verifier.verify(good))).toBe('unavailable: JWKS unreachable');
    expect(calls.count).toBe(1);
    expect(refusal(await verifier.verify(good))).toBe('unavailable: JWKS unreachable');
    expect(calls.count).toBe(1);
    clock += 5_000;
    state = 'status-500';
    expect(refusal(await verifier.verify(good))).toBe('unavailable: JWKS unreachable');
    expect(calls.count).toBe(2);
    clock += 5_000;
    state = 'up';
    expect((await verifier.verify(good)).ok).toBe(true);
    expect(calls.count).toBe(3);
  });

  it('tokens with a disallowed algorithm never cause a JWKS fetch', async () => {
    const { fetchImpl, calls } = fakeJwks(() => []);
    const verifier = createJwtVerifier({ issuer: ISSUER, jwksUrl: JWKS_URL }, { fetch: fetchImpl });
    const hs = await new SignJWT({ iss: ISSUER, sub: 'x', exp: Math.floor(Date.now() / 1000) + 60 }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode('secret'));
    expect(refusal(await verifier.verify(hs))).toBe('invalid: algorithm not allowed');
    expect(calls.count).toBe(0);
  });
});

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
