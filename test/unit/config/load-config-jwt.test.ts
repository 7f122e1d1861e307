// The a2a_jwt_* keys (DESIGN §8): all-or-nothing for issuer + JWKS URL, asymmetric algorithms
// only, messages that name the key, warnings for a missing audience and a plain-http JWKS.

import { describe, expect, it } from 'vitest';
import { load, refusal } from '../../helpers/config-load.js';

const ISSUER = 'a2a_jwt_issuer = "https://issuer.example"\n';
const AUDIENCE = 'a2a_jwt_audience = "toq-gateway"\n';
const JWKS = 'a2a_jwt_jwks_url = "https://issuer.example/.well-known/jwks.json"\n';

describe('a2a_jwt_* keys', () => {
  it('all three set: JWT on, no warning, default algorithms left to the JWT layer', () => {
    const { config, warnings } = load(ISSUER + AUDIENCE + JWKS);
    expect(config.a2aJwtIssuer).toBe('https://issuer.example');
    expect(config.a2aJwtAudience).toBe('toq-gateway');
    expect(config.a2aJwtJwksUrl).toBe('https://issuer.example/.well-known/jwks.json');
    expect(config.a2aJwtAlgorithms).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it('none set: off', () => {
    const { config } = load('');
    expect(config.a2aJwtIssuer).toBeUndefined();
    expect(config.a2aJwtJwksUrl).toBeUndefined();
  });

  it('issuer without JWKS URL and the reverse: refused naming the missing key', () => {
    expect(refusal(ISSUER + AUDIENCE)).toEqual({ key: 'a2a_jwt_jwks_url', message: 'JWT auth of A2A callers needs a2a_jwt_jwks_url (a2a_jwt_issuer, a2a_jwt_audience are set)' });
    expect(refusal(JWKS)).toEqual({ key: 'a2a_jwt_issuer', message: 'JWT auth of A2A callers needs a2a_jwt_issuer (a2a_jwt_jwks_url is set)' });
    expect(refusal(AUDIENCE)).toEqual({ key: 'a2a_jwt_issuer', message: 'JWT auth of A2A callers needs a2a_jwt_issuer and a2a_jwt_jwks_url (a2a_jwt_audience is set)' });
    expect(refusal('a2a_jwt_algorithms = ["ES256"]\n').key).toBe('a2a_jwt_issuer');
  });

  it('empty strings and a non-http JWKS URL are refused', () => {
    expect(refusal('a2a_jwt_issuer = ""\n' + JWKS)).toEqual({ key: 'a2a_jwt_issuer', message: 'a2a_jwt_issuer must not be empty (remove the key to turn JWT auth off)' });
    expect(refusal(ISSUER + 'a2a_jwt_jwks_url = "file:///etc/jwks.json"\n')).toEqual({ key: 'a2a_jwt_jwks_url', message: 'a2a_jwt_jwks_url must be an http:// or https:// URL, got "file:///etc/jwks.json"' });
    expect(refusal(ISSUER + 'a2a_jwt_jwks_url = 3\n')).toEqual({ key: 'a2a_jwt_jwks_url', message: 'a2a_jwt_jwks_url must be a string, got 3' });
  });

  it('warns when the audience is unset and when the JWKS is plain http off loopback', () => {
    const { warnings } = load(ISSUER + 'a2a_jwt_jwks_url = "http://issuer.example/jwks"\n');
    expect(warnings.map((w) => w.key).sort()).toEqual(['a2a_jwt_audience', 'a2a_jwt_jwks_url']);
    expect(warnings.find((w) => w.key === 'a2a_jwt_jwks_url')?.message).toMatch(/plain http.*use https/);
    expect(load(ISSUER + AUDIENCE + 'a2a_jwt_jwks_url = "http://127.0.0.1:8080/jwks"\n').warnings).toEqual([]);
  });

  it('a2a_jwt_algorithms: asymmetric names only, never none or HS*', () => {
    expect(load(ISSUER + AUDIENCE + JWKS + 'a2a_jwt_algorithms = ["ES256", "EdDSA", "ES256"]\n').config.a2aJwtAlgorithms).toEqual(['ES256', 'EdDSA']);
    expect(refusal(ISSUER + JWKS + 'a2a_jwt_algorithms = ["RS256", "none"]\n')).toEqual({ key: 'a2a_jwt_algorithms', message: 'a2a_jwt_algorithms must not list "none": unsigned tokens are never accepted' });
    expect(refusal(ISSUER + JWKS + 'a2a_jwt_algorithms = ["HS256"]\n').message).toMatch(/^a2a_jwt_algorithms must not list "HS256": a shared-secret algorithm/);
    expect(refusal(ISSUER + JWKS + 'a2a_jwt_algorithms = ["RS1"]\n').message).toMatch(/^a2a_jwt_algorithms lists "RS1", which is not one of RS256, /);
    expect(refusal(ISSUER + JWKS + 'a2a_jwt_algorithms = []\n').message).toBe('a2a_jwt_algorithms must be a non-empty list of strings such as ["RS256", "ES256"], got an empty list');
    expect(refusal(ISSUER + JWKS + 'a2a_jwt_algorithms = "RS256"\n').message).toBe('a2a_jwt_algorithms must be a non-empty list of strings such as ["RS256", "ES256"], got "RS256" (a string)');
  });

  it('the keys are known (no "unknown key" warning)', () => {
    const { warnings } = load(ISSUER + AUDIENCE + JWKS + 'a2a_jwt_algorithms = ["RS256"]\n');
    expect(warnings).toEqual([]);
  });
});
