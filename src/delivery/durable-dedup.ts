// Seen envelope ids kept in the store (DESIGN §7), as the DeliveredIds of ToqEndpoint's `dedup`
// option: a retry of an id we already committed is acked again but not delivered twice, even
// after a restart. It only reads and writes the seen-id table; pruning is the store's.

import type { GatewayStore } from '../store/gateway-store.js';
import type { DeliveredIds } from '../transport/toq-session.js';

export interface DurableDedupDeps {
  readonly store: GatewayStore;
  /** Epoch milliseconds (seen_at, which retention counts from). */
  readonly now: () => number;
}

/**
 * The session scopes each key as `<peer public key text> <envelope id>` (toq-session.ts), so the
 * key splits at its first space into the store's (peer key, id) pair, the same pair that
 * store.recordInbound() writes in the history transaction.
 */
export class DurableDedup implements DeliveredIds {
  constructor(private readonly deps: DurableDedupDeps) {}

  seen(key: string): boolean {
    const [peerKey, id] = splitKey(key);
    return this.deps.store.hasSeen(peerKey, id);
  }

  remember(key: string): void {
    const [peerKey, id] = splitKey(key);
    // Usually recordInbound() has written it already: a read is cheaper than a no-op write
    // transaction (which would still cost a commit).
    if (!this.deps.store.hasSeen(peerKey, id)) this.deps.store.rememberSeen(peerKey, id, this.deps.now());
  }
}

function splitKey(key: string): [string, string] {
  const space = key.indexOf(' ');
  // A key without a scope cannot come from a session; keep it whole under an empty peer key.
  return space < 0 ? ['', key] : [key.slice(0, space), key.slice(space + 1)];
}
