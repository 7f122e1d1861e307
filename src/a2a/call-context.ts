// The per-call context the SDK hands to stores and the executor, pinned to one tenant per
// agent (DESIGN §6): the SDK's stores and buses partition by tenant and owner, so the tenant
// names the agent and the owner (the authenticated principal) scopes tasks per caller. A client
// may name the same tenant (e.g. a REST path prefix); naming another one is refused. Knows
// nothing of toq.

import type { Extensions } from '@a2a-js/sdk';
import { RequestMalformedError } from '@a2a-js/sdk/errors';
import { ServerCallContext, STATE_HEADERS_KEY, UnauthenticatedUser, type RequestHeaders, type ServerCallContextBuilder, type User } from '@a2a-js/sdk/server';

/** A caller the auth layer let in; `userName` is the principal and the task scope. */
export class PrincipalUser implements User {
  readonly #name: string;
  constructor(name: string) {
    if (name === '') throw new RangeError('principal name must not be empty');
    this.#name = name;
  }
  get isAuthenticated(): boolean {
    return true;
  }
  get userName(): string {
    return this.#name;
  }
}

export class AgentCallContext extends ServerCallContext {
  readonly #tenant: string;

  constructor(tenant: string, options: { user?: User; requestedVersion?: string; extensions?: Extensions; headers?: RequestHeaders }) {
    const state = new Map<string, unknown>();
    if (options.headers !== undefined) state.set(STATE_HEADERS_KEY, options.headers);
    super({
      ...(options.user !== undefined && { user: options.user }),
      ...(options.requestedVersion !== undefined && { requestedVersion: options.requestedVersion }),
      ...(options.extensions !== undefined && { requestedExtensions: options.extensions }),
      state,
    });
    this.#tenant = tenant;
  }

  override get tenant(): string {
    return this.#tenant;
  }

  /** Transports call this with the tenant a client named; only ours is accepted. */
  override setTenant(tenant: string): void {
    if (tenant !== this.#tenant) throw new RequestMalformedError(`unknown tenant "${tenant}"`);
  }
}

/** The SDK's ServerCallContextBuilder, producing contexts pinned to `tenant`. */
export function agentContextBuilder(tenant: string): ServerCallContextBuilder {
  return (options) => {
    const context = new AgentCallContext(tenant, {
      ...(options.user !== undefined && { user: options.user }),
      ...(options.requestedVersion !== undefined && { requestedVersion: options.requestedVersion }),
      ...(options.extensions !== undefined && { extensions: options.extensions }),
      headers: options.headers,
    });
    if (options.tenant !== undefined && options.tenant !== '') context.setTenant(options.tenant);
    return context;
  };
}

/** The SDK's task scope of anonymous callers (its `resolveUserScope` of a user with no name). */
const ANONYMOUS_SCOPE = 'unknown';

/**
 * The context of a stored task's owner, for writes made outside a request (late replies). It must
 * match the request's own context where the SDK derives keys from it: its per-task write lock is
 * keyed by the user's name, and an anonymous caller's name is '' while its scope is "unknown".
 */
export function ownerCallContext(tenant: string, owner: string): AgentCallContext {
  return new AgentCallContext(tenant, { user: owner === ANONYMOUS_SCOPE ? new UnauthenticatedUser() : new PrincipalUser(owner) });
}
