// An A2A client for one remote agent (a2a-notes §12.6, §14.2): the card through the SDK's
// resolver, JSON-RPC and REST transports for v1.0 and v0.3 peers, every request through the
// policy-checked, redirect-refusing fetch of outbound-url-policy.ts. Knows nothing of toq.

import type { AgentCard } from '@a2a-js/sdk';
import { ClientFactory, DefaultAgentCardResolver, JsonRpcTransportFactory, RestTransportFactory, type Client } from '@a2a-js/sdk/client';
import { createGuardedFetch, type HostLookup, type OutboundUrlPolicy } from './outbound-url-policy.js';

export interface A2aClientOptions {
  readonly policy: OutboundUrlPolicy;
  /** `Authorization` header value for every request, e.g. `Bearer abc`. */
  readonly authorization?: string;
  readonly lookup?: HostLookup;
  /** @default globalThis.fetch */
  readonly fetchImpl?: typeof fetch;
}

export interface A2aClientHandle {
  readonly client: Client;
  readonly card: AgentCard;
  /** The card offers streaming (SendStreamingMessage, SubscribeToTask). */
  readonly isStreaming: boolean;
}

/** Fetches `<baseUrl>/.well-known/agent-card.json` and builds a client for the interface it offers. */
export async function connectA2aClient(baseUrl: string, options: A2aClientOptions): Promise<A2aClientHandle> {
  const fetchImpl = createGuardedFetch({
    policy: options.policy,
    ...(options.authorization !== undefined && { authorization: options.authorization }),
    ...(options.lookup !== undefined && { lookup: options.lookup }),
    ...(options.fetchImpl !== undefined && { fetchImpl: options.fetchImpl }),
  });
  const legacyCompat = { enabled: true };
  const cardResolver = new DefaultAgentCardResolver({ fetchImpl, legacyCompat });
  const factory = new ClientFactory({
    transports: [new JsonRpcTransportFactory({ fetchImpl, legacyCompat }), new RestTransportFactory({ fetchImpl, legacyCompat })],
    cardResolver,
  });
  const card = await cardResolver.resolve(baseUrl);
  const client = await factory.createFromAgentCard(card);
  return { client, card, isStreaming: card.capabilities?.streaming === true };
}
