// Who is calling (a2a-notes §10): `Authorization: Bearer <key>` checked against the configured
// keys in constant time, each key naming one principal. With no key configured every caller is
// anonymous (and all anonymous callers share one task scope, as the SDK's default owner
// resolver does). Refusals are plain HTTP 401s, never A2A errors; the bodies are the
// reference's (local-API spec §9.1). Knows nothing of toq.

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

/** undefined = refused; a User = let in. */
export type Authenticate = (req: IncomingMessage) => User | undefined;

/**
 * Keys that are empty strings are ignored (the reference treats an empty `a2a_api_key` as
 * unset). No key left: everyone is let in as an anonymous user.
 */
export function createBearerAuth(keys: readonly ApiKey[]): { readonly isRequired: boolean; readonly authenticate: Authenticate } {
  // Comparing digests keeps the compare constant-time whatever the lengths.
  const digests = keys.filter((k) => k.key !== '').map((k) => ({ digest: sha256(k.key), principal: k.principal }));
  if (digests.length === 0) {
    const anonymous = new UnauthenticatedUser();
    return { isRequired: false, authenticate: () => anonymous };
  }
  return {
    isRequired: true,
    authenticate(req) {
      const header = req.headers.authorization;
      if (header === undefined) return undefined;
      const m = /^Bearer[ \t]+(\S.*?)[ \t]*$/i.exec(header);
      if (m === null) return undefined;
      const presented = sha256(m[1]!);
      let principal: string | undefined;
      // Every key is compared, so timing does not tell which one matched.
      for (const entry of digests) if (timingSafeEqual(presented, entry.digest)) principal ??= entry.principal;
      return principal === undefined ? undefined : new PrincipalUser(principal);
    },
  };
}

/** The reference's refusal on its JSON-RPC route: 401 with a JSON-RPC error body (-32600). */
export function sendJsonRpcUnauthorized(res: ServerResponse): void {
  const body = '{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Unauthorized"}}';
  res.writeHead(401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'www-authenticate': 'Bearer' }).end(body);
}

/** The same refusal for REST routes, as a google.rpc.Status body (a2a-notes §5). */
export function sendRestUnauthorized(res: ServerResponse): void {
  const body = '{"error":{"code":401,"status":"UNAUTHENTICATED","message":"Unauthorized"}}';
  res.writeHead(401, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'www-authenticate': 'Bearer' }).end(body);
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
