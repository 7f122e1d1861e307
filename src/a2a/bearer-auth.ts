// Who is calling (a2a-notes §10): `Authorization: Bearer <key>` checked against the configured
// keys in constant time, each key naming one principal. With no key configured every caller is
// anonymous (and all anonymous callers share one task scope, as the SDK's default owner
// resolver does). Also the shared vocabulary of A2A auth (a2a-auth.ts adds JWTs): the async
// `Authenticate` contract and the refusals. Refusals are plain HTTP answers, never A2A errors:
// 401 with the reference's bodies (local-API spec §9.1), or 503 when a token could not be judged
// (its issuer's keys unreachable). Knows nothing of toq.

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { UnauthenticatedUser, type User } from '@a2a-js/sdk/server';
import { PrincipalUser } from './call-context.js';

export interface ApiKey {
  /** The secret a client sends as `Bearer <key>`. */
  readonly key: string;
  /** The principal it stands for (the task scope of its caller). */
  readonly principal: string;
}

/**
 * Why a caller is not let in. `missing`: no bearer token at all; `invalid`: a token that is
 * refused; `unavailable`: a token that could not be checked now (answered 503, not 401: the
 * token may be fine, and a 401 would make a client discard or refresh a good token).
 */
export type AuthRefusal = 'missing' | 'invalid' | 'unavailable';

export type AuthResult = { readonly user: User; readonly refusal?: undefined } | { readonly user?: undefined; readonly refusal: AuthRefusal };

/** Never rejects: every failure is a refusal. */
export type Authenticate = (req: IncomingMessage) => Promise<AuthResult>;

/** Seconds a client is told to wait after a 503 refusal. */
export const AUTH_UNAVAILABLE_RETRY_AFTER_S = 5;

/** The token of `Authorization: Bearer <token>`; undefined when there is no such header. */
export function readBearerToken(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const m = /^Bearer[ \t]+(\S.*?)[ \t]*$/i.exec(header);
  return m === null ? undefined : m[1];
}

/** Constant-time lookup of a presented key: its principal, or undefined. Empty keys are ignored. */
export function createApiKeyMatcher(keys: readonly ApiKey[]): { readonly size: number; match(token: string): string | undefined } {
  // Comparing digests keeps the compare constant-time whatever the lengths.
  const digests = keys.filter((k) => k.key !== '').map((k) => ({ digest: sha256(k.key), principal: k.principal }));
  return {
    size: digests.length,
    match(token) {
      const presented = sha256(token);
      let principal: string | undefined;
      // Every key is compared, so timing does not tell which one matched.
      for (const entry of digests) if (timingSafeEqual(presented, entry.digest)) principal ??= entry.principal;
      return principal;
    },
  };
}

/**
 * Keys that are empty strings are ignored (the reference treats an empty `a2a_api_key` as
 * unset). No key left: everyone is let in as an anonymous user.
 */
export function createBearerAuth(keys: readonly ApiKey[]): { readonly isRequired: boolean; readonly authenticate: Authenticate } {
  const matcher = createApiKeyMatcher(keys);
  if (matcher.size === 0) {
    const anonymous: AuthResult = { user: new UnauthenticatedUser() };
    return { isRequired: false, authenticate: () => Promise.resolve(anonymous) };
  }
  return {
    isRequired: true,
    authenticate(req) {
      const token = readBearerToken(req);
      if (token === undefined) return Promise.resolve({ refusal: 'missing' });
      const principal = matcher.match(token);
      return Promise.resolve(principal === undefined ? { refusal: 'invalid' } : { user: new PrincipalUser(principal) });
    },
  };
}

/** The reference's refusal on its JSON-RPC route: 401 with a JSON-RPC error body (-32600); 503 when unavailable. */
export function sendJsonRpcRefusal(res: ServerResponse, refusal: AuthRefusal): void {
  if (refusal === 'unavailable') {
    send(res, 503, '{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"Authentication temporarily unavailable"}}', { 'retry-after': String(AUTH_UNAVAILABLE_RETRY_AFTER_S) });
    return;
  }
  send(res, 401, '{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Unauthorized"}}', { 'www-authenticate': challenge(refusal) });
}

/** The same refusals for REST routes, as google.rpc.Status bodies (a2a-notes §5). */
export function sendRestRefusal(res: ServerResponse, refusal: AuthRefusal): void {
  if (refusal === 'unavailable') {
    send(res, 503, '{"error":{"code":503,"status":"UNAVAILABLE","message":"Authentication temporarily unavailable"}}', { 'retry-after': String(AUTH_UNAVAILABLE_RETRY_AFTER_S) });
    return;
  }
  send(res, 401, '{"error":{"code":401,"status":"UNAUTHENTICATED","message":"Unauthorized"}}', { 'www-authenticate': challenge(refusal) });
}

/** RFC 6750 §3.1: no error code when no credentials were sent, `invalid_token` when they were refused. */
function challenge(refusal: 'missing' | 'invalid'): string {
  return refusal === 'missing' ? 'Bearer' : 'Bearer error="invalid_token"';
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string>): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers }).end(body);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
