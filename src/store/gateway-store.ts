// The persistence interface of the gateway (DESIGN §7): outbox, inbound history, seen ids,
// peers, policy state and counters, in one store. Two implementations: SQLite (the daemon's,
// one file in the workspace) and memory (unit tests only). The interface is synchronous on
// purpose: better-sqlite3 is, and a commit that returns is a commit that happened, which is
// what "acked means durable" needs. It knows nothing about sockets or the toq session.

import type { PolicyState } from '../protocol/policy.js';
import type { HistoryQuery, InboundRecord } from './inbox-record.js';
import type { ClaimOptions, NewOutboxEntry, OutboxEntry, OutboxQuery, OutboxStatus, OutboxUpdate } from './outbox-record.js';
import type { PeerRecord } from './peer-record.js';

/** Counter names kept in the key/value table (the reference's state.json counters). */
export type CounterName = 'messages_in' | 'messages_out';

export interface PruneOptions {
  readonly nowMs: number;
  /** History older than this is removed. Omit to keep all. */
  readonly historyOlderThanMs?: number;
  /** Seen ids older than this are removed, but never younger than outboxTtlMs. Omit to keep all. */
  readonly seenOlderThanMs?: number;
  /** Finished outbox entries (delivered, failed, undeliverable, canceled) older than this. */
  readonly finishedOutboxOlderThanMs?: number;
  /**
   * A sender retries for up to its outbox_ttl, so a seen id must outlive it or a late retry
   * would be delivered twice (DESIGN §7). Seen ids younger than this are always kept.
   */
  readonly outboxTtlMs: number;
}

export interface PruneResult {
  readonly history: number;
  readonly seen: number;
  readonly outbox: number;
}

export interface GatewayStore {
  // ---- outbox ----
  /** Inserts a queued entry and commits; a second entry with the same id is StoreError store_duplicate_id. */
  enqueueOutbox(entry: NewOutboxEntry): OutboxEntry;
  getOutbox(id: string): OutboxEntry | undefined;
  /** Newest first. */
  listOutbox(query?: OutboxQuery): OutboxEntry[];
  /**
   * Atomically moves up to `limit` queued entries due at `nowMs` to 'sending' (attempts + 1) and
   * returns them, oldest due first (then insertion order), never more than maxPerPeer sending
   * per recipient.
   */
  claimDue(nowMs: number, limit: number, options: ClaimOptions): OutboxEntry[];
  /** Earliest next attempt among queued entries of recipients below maxPerPeer sending. */
  nextDueAt(options: ClaimOptions): number | undefined;
  /** Whether `to` has any queued entry, due or not (a new one must not overtake them). */
  hasQueued(to: string): boolean;
  /**
   * Applies `update` if the entry's status is one of `expect` (all statuses when omitted) and
   * commits; returns the entry after the change, or undefined when absent or in another status.
   * A change to 'delivered' also counts one messages_out in the same transaction.
   */
  updateOutbox(id: string, update: OutboxUpdate, expect?: readonly OutboxStatus[]): OutboxEntry | undefined;
  /**
   * Pushes every queued entry of `to` due before `untilMs` to `untilMs` (the peer is down: its
   * messages wait for the same retry, keep their order and share one dial). Returns how many moved.
   */
  deferQueued(to: string, untilMs: number): number;
  /** At start: entries left 'sending' by a crash go back to 'queued'. Returns how many. */
  resetSending(): number;

  // ---- inbound ----
  /**
   * Commits the history entry and the seen id (peerKey, id) in ONE transaction, and counts one
   * messages_in. Returns false, writing nothing, when that id from that key was already seen.
   */
  recordInbound(message: InboundRecord): boolean;
  history(query: HistoryQuery): InboundRecord[];
  hasSeen(peerKey: string, id: string): boolean;
  /** Records a seen id (e.g. a stream chunk, which has no history entry); no-op if present. */
  rememberSeen(peerKey: string, id: string, atMs: number): void;

  // ---- peers, policy, counters ----
  /** Inserts or refreshes a peer: first_seen is kept, address and last_seen are updated. */
  upsertPeer(publicKey: string, address: string, atMs: number): void;
  listPeers(): PeerRecord[];
  /** The saved PolicyEngine.toJSON() document, or undefined if none was saved. */
  loadPolicy(): PolicyState | undefined;
  savePolicy(state: PolicyState): void;
  getCounter(name: CounterName): number;
  /** Adds `by` (default 1) and returns the new value. */
  incrementCounter(name: CounterName, by?: number): number;

  /**
   * Runs `fn` in one transaction: the store calls it makes commit together, once (nested calls
   * are savepoints). Used for group commit (see group-commit.ts).
   */
  transaction<T>(fn: () => T): T;
  /**
   * Like transaction(), but its commit does not wait for the disk: for writes a crash may undo
   * without losing anything (an outbox claim, which a restart resets; a delivery outcome, whose
   * loss means one more attempt that the receiver's dedup absorbs). A later durable commit makes
   * it durable too (WAL). Inside another transaction it is just part of that one.
   */
  transactionWithoutSync<T>(fn: () => T): T;
  // ---- retention, lifecycle ----
  /** Never removes queued or sending entries, nor seen ids younger than outboxTtlMs. */
  prune(options: PruneOptions): PruneResult;
  close(): void;
}
