// JWT bearer tokens for A2A callers (DESIGN §8): a token is verified with jose against the
// issuer's JWKS (fetched from the operator-configured URL, so no SSRF check), checking the
// signature with an allowed asymmetric algorithm only, `iss`, `aud` (when configured), `exp` and
// `nbf` with a small clock tolerance, and a non-empty `sub`. The caller's principal (its task
// scope) is derived from issuer and subject. A verdict says why a token was refused, for the log;
// what the caller is told is decided elsewhere (bearer-auth.ts). It never throws for a bad token
// or an unreachable JWKS, and never logs or returns the token itself. Knows nothing of toq.

import { createRemoteJWKSet, customFetch, errors, jwtVerify, type FetchImplementation, type JWTVerifyGetKey } from 'jose';
import { GatewayError } from '../protocol/errors.js';

/** The asymmetric JWS algorithms accepted by default: never `none`, never HS* (a shared secret is no JWKS). */
export const DEFAULT_JWT_ALGORITHMS: readonly string[] = Object.freeze(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA']);

/** Every algorithm an operator may list: the defaults plus jose's fully-specified Ed25519. */
export const SUPPORTED_JWT_ALGORITHMS: readonly string[] = Object.freeze([...DEFAULT_JWT_ALGORITHMS, 'Ed25519']);

/** One JWKS fetch (connect, headers and body) may take this long (jose's default too). */
export const JWKS_FETCH_TIMEOUT_MS = 5_000;

/**
 * After a failed JWKS fetch, further fetches are refused this long without trying: requests then
 * fail at once instead of each waiting out the fetch timeout, and the issuer is not hammered.
 * Keys already cached keep verifying tokens meanwhile.
 */
export const JWKS_FAILURE_COOLDOWN_MS = 5_000;

/** Leeway on `exp` and `nbf` for clocks that disagree a little. */
export const JWT_CLOCK_TOLERANCE_S = 30;

export interface JwtAuthOptions {
  /** `a2a_jwt_issuer`: the exact `iss` tokens must carry. */
  readonly issuer: string;
  /** `a2a_jwt_audience`: a value `aud` must contain; undefined = `aud` is not checked. */
  readonly audience?: string;
  /** `a2a_jwt_jwks_url`: the issuer's JWKS (http or https). */
  readonly jwksUrl: string;
  /** `a2a_jwt_algorithms`. @default DEFAULT_JWT_ALGORITHMS */
  readonly algorithms?: readonly string[];
  /** @default JWKS_FETCH_TIMEOUT_MS */
  readonly jwksTimeoutMs?: number;
  /** @default JWKS_FAILURE_COOLDOWN_MS */
  readonly jwksFailureCooldownMs?: number;
  /** @default JWT_CLOCK_TOLERANCE_S */
  readonly clockToleranceS?: number;
}

/** Why a token was refused, for the log (never for the caller). */
export type JwtRefusalReason =
  | 'malformed'
  | 'algorithm not allowed'
  | 'bad signature'
  | 'unknown kid'
  | 'ambiguous kid'
  | 'unsupported key or algorithm'
  | 'expired'
  | 'not yet valid'
  | 'wrong issuer'
  | 'wrong audience'
  | 'missing sub'
  | 'missing exp'
  | 'invalid claims'
  | 'JWKS unreachable';

export type JwtVerdict =
  | { readonly ok: true; readonly principal: string; readonly subject: string }
  /** `isUnavailable`: the token could not be judged (JWKS unreachable), as opposed to judged bad. */
  | { readonly ok: false; readonly isUnavailable: boolean; readonly reason: JwtRefusalReason; readonly detail: string };

export interface JwtVerifier {
  verify(token: string): Promise<JwtVerdict>;
}

export interface JwtVerifierDeps {
  /** @default Date.now */
  readonly now?: () => number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** Three base64url segments (the last may be empty, as in an `alg: none` token). */
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/** Whether a bearer token is meant as a JWT (compact JWS), not an opaque key. */
export function isJwtShaped(token: string): boolean {
  return JWT_SHAPE.test(token);
}

/** The task scope of a JWT caller: one per (issuer, subject), never equal to an API key's. */
export function jwtPrincipal(issuer: string, subject: string): string {
  return `jwt:${issuer}#${subject}`;
}

/** Throws RangeError for options our own config layer should have refused. */
export function createJwtVerifier(options: JwtAuthOptions, deps: JwtVerifierDeps = {}): JwtVerifier {
  if (options.issuer === '') throw new RangeError('JWT issuer must not be empty');
  const url = new URL(options.jwksUrl);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new RangeError(`JWKS URL must be http(s), got ${url.protocol}`);
  const algorithms = [...(options.algorithms ?? DEFAULT_JWT_ALGORITHMS)];
  if (algorithms.length === 0) throw new RangeError('at least one JWT algorithm must be allowed');
  for (const alg of algorithms) {
    if (!SUPPORTED_JWT_ALGORITHMS.includes(alg)) throw new RangeError(`JWT algorithm ${JSON.stringify(alg)} is not one of ${SUPPORTED_JWT_ALGORITHMS.join(', ')}`);
  }
  const now = deps.now ?? Date.now;
  const baseFetch = deps.fetch ?? fetch;
  const cooldownMs = options.jwksFailureCooldownMs ?? JWKS_FAILURE_COOLDOWN_MS;
  let lastFailureAt = Number.NEGATIVE_INFINITY;

  const guardedFetch: FetchImplementation = async (resource, init) => {
    if (now() - lastFailureAt < cooldownMs) throw new JwksUnavailable(`the last JWKS fetch failed less than ${cooldownMs} ms ago`);
    return baseFetch(resource, init);
  };
  const remote = createRemoteJWKSet(url, { timeoutDuration: options.jwksTimeoutMs ?? JWKS_FETCH_TIMEOUT_MS, [customFetch]: guardedFetch });
  // Errors of the key lookup itself are about the token (no such kid); anything else failed while
  // fetching or reading the JWKS, so the token could not be judged.
  const getKey: JWTVerifyGetKey = async (header, token) => {
    try {
      return await remote(header, token);
    } catch (err) {
      if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys || err instanceof errors.JOSENotSupported) throw err;
      if (!(err instanceof JwksUnavailable)) lastFailureAt = now();
      throw err instanceof JwksUnavailable ? err : new JwksUnavailable(describe(err), { cause: err });
    }
  };

  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, getKey, {
          issuer: options.issuer,
          ...(options.audience !== undefined && { audience: options.audience }),
          algorithms,
          clockTolerance: options.clockToleranceS ?? JWT_CLOCK_TOLERANCE_S,
          // A token without `exp` would never expire.
          requiredClaims: ['sub', 'exp'],
        });
        if (typeof payload.sub !== 'string' || payload.sub === '') return refused('missing sub', '"sub" must be a non-empty string');
        return { ok: true, principal: jwtPrincipal(options.issuer, payload.sub), subject: payload.sub };
      } catch (err) {
        return classify(err);
      }
    },
  };
}

/** Marks a failure to obtain the JWKS (fetch error, timeout, non-200, bad JSON, cooldown). */
class JwksUnavailable extends GatewayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('jwks_unavailable', message, options);
  }
}

function classify(err: unknown): JwtVerdict {
  if (err instanceof JwksUnavailable) return { ok: false, isUnavailable: true, reason: 'JWKS unreachable', detail: err.message };
  if (err instanceof errors.JWTExpired) return refused('expired', err.message);
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.reason === 'missing' && err.claim === 'sub') return refused('missing sub', err.message);
    if (err.reason === 'missing' && err.claim === 'exp') return refused('missing exp', err.message);
    if (err.claim === 'iss') return refused('wrong issuer', err.message);
    if (err.claim === 'aud') return refused('wrong audience', err.message);
    if (err.claim === 'nbf') return refused('not yet valid', err.message);
    return refused('invalid claims', err.message);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return refused('algorithm not allowed', err.message);
  if (err instanceof errors.JWSSignatureVerificationFailed) return refused('bad signature', err.message);
  if (err instanceof errors.JWKSNoMatchingKey) return refused('unknown kid', err.message);
  if (err instanceof errors.JWKSMultipleMatchingKeys) return refused('ambiguous kid', err.message);
  if (err instanceof errors.JOSENotSupported) return refused('unsupported key or algorithm', err.message);
  // JWSInvalid, JWTInvalid and whatever else the token's bytes provoke.
  return refused('malformed', describe(err));
}

function refused(reason: JwtRefusalReason, detail: string): JwtVerdict {
  return { ok: false, isUnavailable: false, reason, detail };
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // undici's "fetch failed" hides the useful part (ECONNREFUSED, ...) in the cause.
  const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
  return `${err.message}${cause}`;
}
