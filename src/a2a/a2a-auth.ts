// The A2A auth of a gateway's agents (DESIGN §8): API keys (bearer-auth.ts) and JWTs from one
// issuer (jwt-auth.ts); when both are configured either is enough. A presented token is first
// compared with the keys, then, if it has the shape of a JWT, verified as one. Nothing
// configured: callers are anonymous and share one scope. Also says what the cards must declare.
// Logs why a token was refused (never the token); the caller only learns refused or unavailable.
// Knows nothing of toq.

import type { Logger } from 'pino';
import { UnauthenticatedUser } from '@a2a-js/sdk/server';
import type { AgentCardSecurity } from './agent-card.js';
import { createApiKeyMatcher, readBearerToken, type ApiKey, type Authenticate, type AuthResult } from './bearer-auth.js';
import { PrincipalUser } from './call-context.js';
import { createJwtVerifier, isJwtShaped, type JwtAuthOptions, type JwtVerifierDeps } from './jwt-auth.js';

export interface A2aAuthOptions {
  /** `a2a_api_key` and friends; empty keys are ignored. */
  readonly apiKeys: readonly ApiKey[];
  /** `a2a_jwt_*`; undefined = no JWTs. */
  readonly jwt?: JwtAuthOptions;
}

export interface A2aAuth {
  /** False only when nothing is configured (anonymous access). */
  readonly isRequired: boolean;
  /** What buildAgentCard must declare. */
  readonly cardSecurity: AgentCardSecurity;
  readonly authenticate: Authenticate;
}

export function createA2aAuth(options: A2aAuthOptions, deps: { readonly log: Logger } & JwtVerifierDeps): A2aAuth {
  const keys = createApiKeyMatcher(options.apiKeys);
  const jwt = options.jwt === undefined ? undefined : createJwtVerifier(options.jwt, deps);
  const cardSecurity: AgentCardSecurity = {
    requiresBearer: keys.size > 0,
    ...(options.jwt !== undefined && { jwt: { issuer: options.jwt.issuer, ...(options.jwt.audience !== undefined && { audience: options.jwt.audience }) } }),
  };
  if (keys.size === 0 && jwt === undefined) {
    const anonymous: AuthResult = { user: new UnauthenticatedUser() };
    return { isRequired: false, cardSecurity, authenticate: () => Promise.resolve(anonymous) };
  }
  const log = deps.log.child({ component: 'a2a-auth' });
  return {
    isRequired: true,
    cardSecurity,
    async authenticate(req) {
      const token = readBearerToken(req);
      if (token === undefined) return { refusal: 'missing' };
      const principal = keys.size > 0 ? keys.match(token) : undefined;
      if (principal !== undefined) return { user: new PrincipalUser(principal) };
      if (jwt === undefined || !isJwtShaped(token)) {
        log.warn({ reason: jwt === undefined ? 'unknown API key' : 'neither an API key nor a JWT' }, 'A2A caller refused');
        return { refusal: 'invalid' };
      }
      const verdict = await jwt.verify(token);
      if (verdict.ok) return { user: new PrincipalUser(verdict.principal) };
      if (verdict.isUnavailable) {
        log.warn({ reason: verdict.reason, detail: verdict.detail }, 'A2A caller not judged: JWKS unavailable');
        return { refusal: 'unavailable' };
      }
      log.warn({ reason: verdict.reason, detail: verdict.detail }, 'A2A caller refused');
      return { refusal: 'invalid' };
    },
  };
}
