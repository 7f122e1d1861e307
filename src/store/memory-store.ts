// GatewayStore in memory, for unit tests only: the same semantics as the SQLite store (the
// conformance suite runs against both), nothing durable. Never use it in the daemon: a message
// acked from memory is lost by a restart.

import type { PolicyState } from '../protocol/policy.js';
import type { CounterName, GatewayStore, PruneOptions, PruneResult } from './gateway-store.js';
import type { HistoryQuery, InboundRecord } from './inbox-record.js';
import { FINISHED_OUTBOX_STATUSES, type ClaimOptions, type NewOutboxEntry, type OutboxEntry, type OutboxQuery, type OutboxStatus, type OutboxUpdate } from './outbox-record.js';
import type { PeerRecord } from './peer-record.js';
import { checkClaimOptions, checkLimit, DEFAULT_OUTBOX_LIST_LIMIT } from './store-limits.js';
import { StoreError } from './store-error.js';

interface Row {
  readonly seq: number;
  entry: OutboxEntry;
}

export class MemoryStore implements GatewayStore {
  private readonly outbox = new Map<string, Row>();
  private readonly inbox: Array<{ seq: number; record: InboundRecord }> = [];
  private readonly seen = new Map<string, number>();
  private readonly peers = new Map<string, PeerRecord>();
  private readonly counters = new Map<CounterName, number>();
  private policy: string | undefined;
  private seq = 0;
  private isClosed = false;

  enqueueOutbox(entry: NewOutboxEntry): OutboxEntry {
    this.checkOpen();
    if (this.outbox.has(entry.id)) throw new StoreError('store_duplicate_id', `outbox entry ${entry.id} already exists`);
    const { claimed, ...fields } = entry;
    const stored: OutboxEntry = Object.freeze({
      ...fields,
      status: claimed === true ? 'sending' : 'queued',
      attempts: claimed === true ? 1 : 0,
      lastError: null,
      deliveredAtMs: null,
      finishedAtMs: null,
    });
    this.outbox.set(entry.id, { seq: ++this.seq, entry: stored });
    return stored;
  }

  getOutbox(id: string): OutboxEntry | undefined {
    this.checkOpen();
    return this.outbox.get(id)?.entry;
  }

  listOutbox(query: OutboxQuery = {}): OutboxEntry[] {
    this.checkOpen();
    const limit = checkLimit(query.limit ?? DEFAULT_OUTBOX_LIST_LIMIT);
    return [...this.outbox.values()]
      .filter(({ entry }) => (query.status === undefined || entry.status === query.status) && (query.to === undefined || entry.to === query.to) && (query.agent === undefined || entry.agent === query.agent))
      .sort((a, b) => b.seq - a.seq)
      .slice(0, limit)
      .map((row) => row.entry);
  }

  claimDue(nowMs: number, limit: number, options: ClaimOptions): OutboxEntry[] {
    this.checkOpen();
    checkLimit(limit);
    checkClaimOptions(options);
    const busy = this.sendingByPeer();
    const due = [...this.outbox.values()]
      .filter(({ entry }) => entry.status === 'queued' && entry.nextAttemptAtMs <= nowMs)
      .sort((a, b) => a.entry.nextAttemptAtMs - b.entry.nextAttemptAtMs || a.seq - b.seq);
    const claimed: OutboxEntry[] = [];
    for (const row of due) {
      if (claimed.length >= limit) break;
      const n = busy.get(row.entry.to) ?? 0;
      if (n >= options.maxPerPeer) continue;
      busy.set(row.entry.to, n + 1);
      row.entry = Object.freeze({ ...row.entry, status: 'sending', attempts: row.entry.attempts + 1 });
      claimed.push(row.entry);
    }
    return claimed;
  }

  hasQueued(to: string): boolean {
    this.checkOpen();
    for (const { entry } of this.outbox.values()) if (entry.to === to && entry.status === 'queued') return true;
    return false;
  }

  nextDueAt(options: ClaimOptions): number | undefined {
    this.checkOpen();
    checkClaimOptions(options);
    const busy = this.sendingByPeer();
    let due: number | undefined;
    for (const { entry } of this.outbox.values()) {
      if (entry.status !== 'queued' || (busy.get(entry.to) ?? 0) >= options.maxPerPeer) continue;
      if (due === undefined || entry.nextAttemptAtMs < due) due = entry.nextAttemptAtMs;
    }
    return due;
  }

  updateOutbox(id: string, update: OutboxUpdate, expect?: readonly OutboxStatus[]): OutboxEntry | undefined {
    this.checkOpen();
    const row = this.outbox.get(id);
    if (!row || (expect !== undefined && !expect.includes(row.entry.status))) return undefined;
    const before = row.entry.status;
    row.entry = Object.freeze({
      ...row.entry,
      status: update.status,
      ...(update.nextAttemptAtMs !== undefined && { nextAttemptAtMs: update.nextAttemptAtMs }),
      ...(update.expiresAtMs !== undefined && { expiresAtMs: update.expiresAtMs }),
      ...(update.attempts !== undefined && { attempts: update.attempts }),
      ...(update.lastError !== undefined && { lastError: update.lastError === null ? null : { code: update.lastError.code, message: update.lastError.message } }),
      ...(update.deliveredAtMs !== undefined && { deliveredAtMs: update.deliveredAtMs }),
      ...(update.finishedAtMs !== undefined && { finishedAtMs: update.finishedAtMs }),
    });
    if (update.status === 'delivered' && before !== 'delivered') this.incrementCounter('messages_out');
    return row.entry;
  }

  deferQueued(to: string, untilMs: number): number {
    this.checkOpen();
    let moved = 0;
    for (const row of this.outbox.values()) {
      if (row.entry.to === to && row.entry.status === 'queued' && row.entry.nextAttemptAtMs < untilMs) {
        row.entry = Object.freeze({ ...row.entry, nextAttemptAtMs: untilMs });
        moved += 1;
      }
    }
    return moved;
  }

  resetSending(): number {
    this.checkOpen();
    let reset = 0;
    for (const row of this.outbox.values()) {
      if (row.entry.status === 'sending') {
        row.entry = Object.freeze({ ...row.entry, status: 'queued' });
        reset += 1;
      }
    }
    return reset;
  }

  recordInbound(message: InboundRecord): boolean {
    this.checkOpen();
    const key = seenKey(message.peerKey, message.id);
    if (this.seen.has(key)) return false;
    this.seen.set(key, message.receivedAtMs);
    this.inbox.push({ seq: ++this.seq, record: Object.freeze({ ...message }) });
    this.incrementCounter('messages_in');
    return true;
  }

  history(query: HistoryQuery): InboundRecord[] {
    this.checkOpen();
    const limit = checkLimit(query.limit);
    const matches = this.inbox.filter(
      ({ record }) =>
        (query.agent === undefined || record.agent === query.agent) &&
        (query.from === undefined || record.from.includes(query.from)) &&
        (query.sinceMs === undefined || record.receivedAtMs >= query.sinceMs) &&
        (query.threadId === undefined || record.thread_id === query.threadId),
    );
    return matches.slice(Math.max(0, matches.length - limit)).map((m) => m.record);
  }

  hasSeen(peerKey: string, id: string): boolean {
    this.checkOpen();
    return this.seen.has(seenKey(peerKey, id));
  }

  rememberSeen(peerKey: string, id: string, atMs: number): void {
    this.checkOpen();
    const key = seenKey(peerKey, id);
    if (!this.seen.has(key)) this.seen.set(key, atMs);
  }

  upsertPeer(publicKey: string, address: string, atMs: number): void {
    this.checkOpen();
    const old = this.peers.get(publicKey);
    this.peers.set(publicKey, Object.freeze({ publicKey, address, firstSeenAtMs: old?.firstSeenAtMs ?? atMs, lastSeenAtMs: atMs }));
  }

  listPeers(): PeerRecord[] {
    this.checkOpen();
    return [...this.peers.values()].sort((a, b) => (a.publicKey < b.publicKey ? -1 : a.publicKey > b.publicKey ? 1 : 0));
  }

  loadPolicy(): PolicyState | undefined {
    this.checkOpen();
    // A copy through text, like the SQLite store, so the caller never aliases what is stored.
    return this.policy === undefined ? undefined : (JSON.parse(this.policy) as PolicyState);
  }

  savePolicy(state: PolicyState): void {
    this.checkOpen();
    this.policy = JSON.stringify(state);
  }

  getCounter(name: CounterName): number {
    this.checkOpen();
    return this.counters.get(name) ?? 0;
  }

  incrementCounter(name: CounterName, by = 1): number {
    this.checkOpen();
    if (!Number.isSafeInteger(by)) throw new RangeError(`counter increment must be a safe integer, got ${by}`);
    const value = (this.counters.get(name) ?? 0) + by;
    this.counters.set(name, value);
    return value;
  }

  prune(options: PruneOptions): PruneResult {
    this.checkOpen();
    let history = 0;
    let seen = 0;
    let outbox = 0;
    if (options.historyOlderThanMs !== undefined) {
      const cutoff = options.nowMs - options.historyOlderThanMs;
      for (let i = this.inbox.length - 1; i >= 0; i--) {
        if (this.inbox[i]!.record.receivedAtMs < cutoff) {
          this.inbox.splice(i, 1);
          history += 1;
        }
      }
    }
    if (options.seenOlderThanMs !== undefined) {
      const cutoff = options.nowMs - Math.max(options.seenOlderThanMs, options.outboxTtlMs);
      for (const [key, at] of this.seen) {
        if (at < cutoff) {
          this.seen.delete(key);
          seen += 1;
        }
      }
    }
    if (options.finishedOutboxOlderThanMs !== undefined) {
      const cutoff = options.nowMs - options.finishedOutboxOlderThanMs;
      for (const [id, { entry }] of this.outbox) {
        if (FINISHED_OUTBOX_STATUSES.has(entry.status) && entry.finishedAtMs !== null && entry.finishedAtMs < cutoff) {
          this.outbox.delete(id);
          outbox += 1;
        }
      }
    }
    return { history, seen, outbox };
  }

  /** No rollback in memory: a throwing fn keeps what it already wrote (unit tests only). */
  transaction<T>(fn: () => T): T {
    return fn();
  }

  transactionWithoutSync<T>(fn: () => T): T {
    return fn();
  }

  close(): void {
    this.isClosed = true;
  }

  private checkOpen(): void {
    if (this.isClosed) throw new StoreError('store_closed', 'the store is closed');
  }

  private sendingByPeer(): Map<string, number> {
    const busy = new Map<string, number>();
    for (const { entry } of this.outbox.values()) {
      if (entry.status === 'sending') busy.set(entry.to, (busy.get(entry.to) ?? 0) + 1);
    }
    return busy;
  }
}

function seenKey(peerKey: string, id: string): string {
  return `${peerKey}\u0000${id}`;
}
