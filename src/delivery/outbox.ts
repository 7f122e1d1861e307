// The outbox (DESIGN §7): every outgoing toq message is committed to the store before the caller
// hears "queued", then delivered over the pooled, pipelined sessions by `send`, re-sending the
// SAME envelope id on each attempt (the session re-signs it with its next sequence number; the
// receiver's seen ids keep it once). Retries back off 1, 2, 4, 8, 16 s then every 60 s until the
// entry's expiry (outbox_ttl), then it is undeliverable with its last error. One timer for the
// next due entry, never one per entry. It knows nothing about sockets: `send` is given.

import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { canonicalAddress } from '../protocol/address.js';
import { wireJson } from '../protocol/canonical-json.js';
import { GatewayError } from '../protocol/errors.js';
import { parseJson } from '../protocol/json-parse.js';
import type { JsonValue } from '../protocol/json-value.js';
import { isAckedType, type MessageType } from '../protocol/message-types.js';
import { formatTimestamp } from '../protocol/timestamp.js';
import type { GatewayStore } from '../store/gateway-store.js';
import type { NewOutboxEntry, OutboxEntry, OutboxError, OutboxQuery, OutboxStatus } from '../store/outbox-record.js';
import type { SendFields, SendOutcome } from '../transport/toq-session.js';
import { retryDelayMs, verdictForError, verdictForSystemError, type AttemptVerdict } from './delivery-verdict.js';

/** DESIGN §7 defaults. */
export const OUTBOX_TTL_MS = 24 * 60 * 60 * 1000;
export const OUTBOX_BACKOFF_MS: readonly number[] = [1_000, 2_000, 4_000, 8_000, 16_000];
export const OUTBOX_STEADY_RETRY_MS = 60_000;
export const OUTBOX_MAX_IN_FLIGHT_PER_PEER = 16;
export const OUTBOX_MAX_IN_FLIGHT = 1_024;
/** Entries claimed per store transaction. */
const CLAIM_BATCH = 64;
/** setTimeout's largest delay; a later due time is reached in several hops. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** Past this many remembered peer holds, those already over are dropped. */
const MAX_PEER_HOLDS = 1_000;
/** When the store itself fails while claiming, try again after this long. */
const STORE_RETRY_MS = 1_000;

/** The outbound send: ToqEndpoint.send (or Gateway.send, which also grants reply passes). */
export type OutboxSend = (target: string, fields: SendFields, options: { fromAgent?: string }) => Promise<SendOutcome>;

/** Timer functions, injectable so tests can drive time; the defaults unref their timers. */
export interface OutboxTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface OutboxDeps {
  readonly store: GatewayStore;
  readonly send: OutboxSend;
  /** Epoch milliseconds. */
  readonly now: () => number;
  readonly log: Logger;
  /** @default real timers (unref'd) */
  readonly timers?: OutboxTimers;
  /**
   * Runs the record of an attempt's outcome; the daemon passes a group commit so the outcomes of
   * many acks share one transaction. @default run it now
   */
  readonly commit?: (record: () => void) => Promise<void>;
  /**
   * Runs a write that must be on disk before its caller is answered (enqueueDurably); the daemon
   * passes its group commit, which flushes off the event loop. `onCommitted` gets the write's
   * result right after its transaction committed, before the flush (GroupCommit.run).
   * @default run it now, in a transaction of the store's own synchronous setting
   */
  readonly durableCommit?: <T>(write: () => T, onCommitted?: (value: T) => void) => Promise<T>;
}

export interface OutboxOptions {
  /** Time from enqueue after which a failed attempt makes the entry undeliverable. @default 86400000 */
  readonly outboxTtlMs?: number;
  /** Waits after the 1st, 2nd, ... failed attempt. @default [1000, 2000, 4000, 8000, 16000] */
  readonly backoffMs?: readonly number[];
  /** Wait after every later failed attempt. @default 60000 */
  readonly steadyRetryMs?: number;
  /** Attempts under way to one recipient at most (they share one pipelined session). @default 16 */
  readonly maxInFlightPerPeer?: number;
  /** Attempts under way in total at most. @default 1024 */
  readonly maxInFlight?: number;
  /** How long stop() waits for attempts under way to settle. @default 5000 */
  readonly stopDrainMs?: number;
}

/** A message to send. Only acked types (the outcome of anything else is unknowable). */
export interface OutgoingMessage {
  /** Our sending agent. */
  readonly agent: string;
  /** Recipient toq address; stored canonical. */
  readonly to: string;
  /** @default 'message.send' */
  readonly type?: MessageType;
  /** Omitted or null: no body. */
  readonly body?: JsonValue;
  /** @default a new UUID v4 (local-API spec §3.1) */
  readonly thread_id?: string;
  readonly reply_to?: string;
  readonly content_type?: string;
  /** @default a new UUID v4 */
  readonly id?: string;
}

/** The local API's `wait=false` answer (local-API spec §3.1). */
export interface EnqueueResult {
  readonly id: string;
  readonly status: 'queued';
  readonly thread_id: string;
  /** RFC 3339 UTC, when it was committed. */
  readonly timestamp: string;
}

export type WaitOutcome =
  | { readonly status: 'delivered'; readonly entry: OutboxEntry }
  | { readonly status: 'failed' | 'undeliverable' | 'canceled'; readonly code: string; readonly message: string; readonly entry: OutboxEntry }
  /** Only with `untilFirstFailure`: an attempt failed and the entry is queued for a retry. */
  | { readonly status: 'retrying'; readonly code: string; readonly message: string; readonly entry: OutboxEntry }
  /** The entry is still queued or sending; `entry.lastError` tells what the attempts met so far. */
  | { readonly status: 'timeout'; readonly entry: OutboxEntry };

export interface WaitOptions {
  readonly timeoutMs: number;
  /**
   * Answer at the first failed attempt instead of waiting out the timeout, as the reference's
   * `wait=true` answers `not_reachable` at once (the entry stays queued either way).
   * @default false
   */
  readonly untilFirstFailure?: boolean;
  readonly signal?: AbortSignal;
}

type Listener = (entry: OutboxEntry, isAttemptFailure: boolean) => void;

const REAL_TIMERS: OutboxTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export class Outbox {
  private readonly store: GatewayStore;
  private readonly send: OutboxSend;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly timers: OutboxTimers;
  private readonly commit: (record: () => void) => Promise<void>;
  private readonly durableCommit: <T>(write: () => T, onCommitted?: (value: T) => void) => Promise<T>;
  private readonly ttlMs: number;
  private readonly backoffMs: readonly number[];
  private readonly steadyRetryMs: number;
  private readonly maxPerPeer: number;
  private readonly maxInFlight: number;
  private readonly stopDrainMs: number;

  private readonly inFlight = new Map<string, Promise<void>>();
  /**
   * Entries this outbox moved to 'sending' whose attempt has not settled, per recipient and in
   * all: what the store's 'sending' rows are while we run (start() resets the rest), kept here so
   * that enqueue can tell without a query whether a new entry may go at once.
   */
  private readonly sendingTo = new Map<string, number>();
  private sendingCount = 0;
  private readonly listeners = new Map<string, Set<Listener>>();
  /** Recipients found down, and until when their queued messages wait (see retryLater). */
  private readonly peerHolds = new Map<string, number>();
  private timer: unknown;
  private timerDueAt: number | undefined;
  private isRunning = false;
  private isPumpScheduled = false;

  constructor(deps: OutboxDeps, options: OutboxOptions = {}) {
    this.store = deps.store;
    this.send = deps.send;
    this.now = deps.now;
    this.log = deps.log;
    this.timers = deps.timers ?? REAL_TIMERS;
    this.commit =
      deps.commit ??
      (async (record) => {
        record();
      });
    this.durableCommit =
      deps.durableCommit ??
      (async (write, onCommitted) => {
        const value = this.store.transaction(write);
        onCommitted?.(value);
        return value;
      });
    this.ttlMs = checkMs(options.outboxTtlMs ?? OUTBOX_TTL_MS, 'outboxTtlMs');
    this.backoffMs = (options.backoffMs ?? OUTBOX_BACKOFF_MS).map((ms, i) => checkMs(ms, `backoffMs[${i}]`));
    this.steadyRetryMs = checkMs(options.steadyRetryMs ?? OUTBOX_STEADY_RETRY_MS, 'steadyRetryMs');
    this.maxPerPeer = checkCount(options.maxInFlightPerPeer ?? OUTBOX_MAX_IN_FLIGHT_PER_PEER, 'maxInFlightPerPeer');
    this.maxInFlight = checkCount(options.maxInFlight ?? OUTBOX_MAX_IN_FLIGHT, 'maxInFlight');
    this.stopDrainMs = checkMs(options.stopDrainMs ?? 5_000, 'stopDrainMs');
  }

  /** Puts entries a crash left 'sending' back in the queue and starts delivering what is due. */
  start(): void {
    if (this.isRunning) return;
    this.isRunning = true;
    const reset = this.store.resetSending();
    if (reset > 0) this.log.info({ count: reset }, 'outbox: resuming deliveries interrupted by a stop');
    this.schedulePump();
  }

  /**
   * Stops claiming entries and waits (up to stopDrainMs) for attempts under way; their outcome
   * is still recorded while the store is open. Anything left 'sending' is resumed by the next start().
   */
  async stop(): Promise<void> {
    this.isRunning = false;
    this.clearTimer();
    if (this.inFlight.size === 0) return;
    let timer: unknown;
    const deadline = new Promise<void>((resolve) => (timer = this.timers.setTimeout(resolve, this.stopDrainMs)));
    await Promise.race([Promise.allSettled([...this.inFlight.values()]), deadline]);
    this.timers.clearTimeout(timer);
  }

  /** Commits the message as 'queued' and returns; the first attempt starts right after. */
  enqueue(message: OutgoingMessage): EnqueueResult {
    const fields = this.toNewEntry(message);
    const toStore = this.claimIfFree(fields);
    let stored: OutboxEntry;
    try {
      stored = this.store.enqueueOutbox(toStore);
    } catch (err) {
      if (toStore.claimed === true) this.releasePeer(toStore.to);
      throw err;
    }
    this.startIfClaimed(stored);
    return this.queued(stored, fields.thread_id);
  }

  /**
   * enqueue() through `durableCommit`: resolves once the entry is on disk, without holding the
   * event loop while the disk syncs (and sharing that sync with other writers). The first
   * attempt starts at the commit, overlapping the flush: what waits for the disk is the answer
   * to our caller, and a message lost to a power cut before it was durable is one nobody was
   * told is queued.
   */
  async enqueueDurably(message: OutgoingMessage): Promise<EnqueueResult> {
    const fields = this.toNewEntry(message);
    let claimedFor: string | undefined;
    const entry = await this.durableCommit(
      () => {
        // Decided when the write runs (the batch's turn), in the same step as the insert.
        const toStore = this.claimIfFree(fields);
        if (toStore.claimed === true) claimedFor = toStore.to;
        return this.store.enqueueOutbox(toStore);
      },
      // Only a committed entry may leave; its attempt overlaps the flush.
      (stored) => {
        claimedFor = undefined;
        this.startIfClaimed(stored);
      },
    ).catch((err: unknown) => {
      // Rolled back (or the commit failed): the recipient's slot was never used.
      if (claimedFor !== undefined) this.releasePeer(claimedFor);
      throw err;
    });
    return this.queued(entry, fields.thread_id);
  }

  /**
   * The fast path of a new entry: stored already claimed, its attempt started at the commit,
   * instead of a claiming UPDATE in a later pump (the claim query is the costliest statement of
   * a send). Only when the pump would pick it right away anyway: we are running, the limits leave
   * room, the recipient is not held back as down, and it has no queued entry this one would
   * overtake. The recipient's slot is taken here, in the same synchronous step as the insert.
   */
  private claimIfFree<T extends NewOutboxEntry>(fields: T): T {
    if (!this.isRunning || this.sendingCount >= this.maxInFlight || (this.sendingTo.get(fields.to) ?? 0) >= this.maxPerPeer) return fields;
    const hold = this.peerHolds.get(fields.to);
    if ((hold !== undefined && hold > fields.createdAtMs) || this.store.hasQueued(fields.to)) return fields;
    this.takePeer(fields.to);
    return { ...fields, claimed: true };
  }

  private startIfClaimed(entry: OutboxEntry): void {
    if (entry.status === 'sending') this.startAttempt(entry);
  }

  /** Validates a message and gives it its stored fields. */
  private toNewEntry(message: OutgoingMessage): NewOutboxEntry & { readonly thread_id: string } {
    const type = message.type ?? 'message.send';
    if (!isAckedType(type)) throw new RangeError(`outbox messages must be of an acked type, got ${type}`);
    if (typeof message.agent !== 'string' || message.agent.length === 0) throw new TypeError('agent must be a non-empty string');
    const now = this.now();
    return {
      id: message.id ?? randomUUID(),
      agent: message.agent,
      to: canonicalAddress(message.to),
      type,
      thread_id: message.thread_id ?? randomUUID(),
      reply_to: message.reply_to ?? null,
      content_type: message.content_type ?? null,
      // The exact wire text: number lexemes (2.0, 1e400, big integers) come back as they were.
      body: message.body === undefined || message.body === null ? null : wireJson(message.body),
      createdAtMs: now,
      nextAttemptAtMs: now,
      expiresAtMs: now + this.ttlMs,
    };
  }

  private queued(entry: OutboxEntry, threadId: string): EnqueueResult {
    this.log.debug({ id: entry.id, to: entry.to, type: entry.type }, 'outbox: queued');
    this.schedulePump();
    return { id: entry.id, status: 'queued', thread_id: threadId, timestamp: formatTimestamp(entry.createdAtMs) };
  }

  get(id: string): OutboxEntry | undefined {
    return this.store.getOutbox(id);
  }

  list(query: OutboxQuery = {}): OutboxEntry[] {
    return this.store.listOutbox(query);
  }

  /**
   * Attempts now. A queued entry keeps its expiry and attempt count; a failed, undeliverable or
   * canceled one is queued again with a fresh outbox_ttl and backoff. Sending or delivered
   * entries are returned unchanged. undefined: no such entry.
   */
  retry(id: string): OutboxEntry | undefined {
    const current = this.store.getOutbox(id);
    if (!current) return undefined;
    const now = this.now();
    let updated: OutboxEntry | undefined;
    if (current.status === 'queued') {
      updated = this.store.updateOutbox(id, { status: 'queued', nextAttemptAtMs: now }, ['queued']);
    } else if (current.status === 'failed' || current.status === 'undeliverable' || current.status === 'canceled') {
      updated = this.store.updateOutbox(id, { status: 'queued', nextAttemptAtMs: now, expiresAtMs: now + this.ttlMs, attempts: 0, finishedAtMs: null }, [current.status]);
    } else {
      return current;
    }
    this.schedulePump();
    return updated ?? this.store.getOutbox(id);
  }

  /**
   * Cancels a queued or sending entry (an attempt already on the wire may still be acked: then
   * the entry ends 'delivered', because it was). Other entries are returned unchanged.
   */
  cancel(id: string): OutboxEntry | undefined {
    const updated = this.store.updateOutbox(id, { status: 'canceled', finishedAtMs: this.now() }, ['queued', 'sending']);
    if (!updated) return this.store.getOutbox(id);
    this.log.info({ id }, 'outbox: canceled');
    this.notify(updated, false);
    this.schedulePump();
    return updated;
  }

  /**
   * Resolves when the entry is delivered or final, or at the timeout (the entry then stays
   * queued: wait=true answers the caller, delivery goes on). Rejects with `signal.reason` on
   * abort, and with GatewayError not_found for an unknown id.
   */
  waitForOutcome(id: string, options: WaitOptions): Promise<WaitOutcome> {
    const entry = this.store.getOutbox(id);
    if (!entry) return Promise.reject(new GatewayError('not_found', `no outbox entry ${id}`));
    const already = outcomeOf(entry, false, false);
    if (already) return Promise.resolve(already);
    if (options.signal?.aborted === true) return Promise.reject(options.signal.reason as unknown);
    checkMs(options.timeoutMs, 'timeoutMs');
    return new Promise<WaitOutcome>((resolve, reject) => {
      const finish = (): void => {
        this.timers.clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        const set = this.listeners.get(id);
        set?.delete(listener);
        if (set?.size === 0) this.listeners.delete(id);
      };
      const listener: Listener = (changed, isAttemptFailure) => {
        const outcome = outcomeOf(changed, isAttemptFailure, options.untilFirstFailure === true);
        if (!outcome) return;
        finish();
        resolve(outcome);
      };
      const onAbort = (): void => {
        finish();
        reject(options.signal!.reason as unknown);
      };
      const timer = this.timers.setTimeout(() => {
        finish();
        resolve({ status: 'timeout', entry: this.store.getOutbox(id) ?? entry });
      }, options.timeoutMs);
      options.signal?.addEventListener('abort', onAbort, { once: true });
      let set = this.listeners.get(id);
      if (!set) this.listeners.set(id, (set = new Set()));
      set.add(listener);
    });
  }

  /** Attempts under way now (for status pages and tests). */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  private schedulePump(): void {
    if (!this.isRunning || this.isPumpScheduled) return;
    this.isPumpScheduled = true;
    queueMicrotask(() => this.pump());
  }

  /** Claims what is due (within the in-flight limits), starts those attempts, re-arms the timer. */
  private pump(): void {
    this.isPumpScheduled = false;
    if (!this.isRunning) return;
    const now = this.now();
    let room = this.maxInFlight - this.sendingCount;
    try {
      // Most pumps (one after every attempt's outcome) find nothing due: this read costs a few
      // microseconds where the claiming UPDATE costs tens.
      const due = room > 0 ? this.store.nextDueAt({ maxPerPeer: this.maxPerPeer }) : undefined;
      if (room > 0 && (due === undefined || due > now)) {
        // Nothing to claim, and the read already tells the timer when to come back.
        this.armTimerFor(due, now);
        return;
      }
      while (room > 0) {
        const want = Math.min(room, CLAIM_BATCH);
        // A claim need not reach the disk: after a crash start() puts 'sending' back to queued.
        const batch = this.store.transactionWithoutSync(() => this.store.claimDue(now, want, { maxPerPeer: this.maxPerPeer }));
        for (const entry of batch) this.takePeer(entry.to);
        for (const entry of batch) this.startAttempt(entry);
        room -= batch.length;
        if (batch.length < want) break;
      }
      this.armTimer(now);
    } catch (err) {
      this.log.error({ err }, 'outbox: store failed while claiming; retrying soon');
      this.setTimer(now + STORE_RETRY_MS, now);
    }
  }

  private armTimer(now: number): void {
    // At the global limit the next completion pumps again; a timer would only spin.
    if (this.sendingCount >= this.maxInFlight) {
      this.clearTimer();
      return;
    }
    this.armTimerFor(this.store.nextDueAt({ maxPerPeer: this.maxPerPeer }), now);
  }

  private armTimerFor(due: number | undefined, now: number): void {
    if (due === undefined) this.clearTimer();
    else this.setTimer(due, now);
  }

  private setTimer(dueAt: number, now: number): void {
    if (this.timer !== undefined && this.timerDueAt === dueAt) return;
    this.clearTimer();
    this.timerDueAt = dueAt;
    this.timer = this.timers.setTimeout(() => {
      this.timer = undefined;
      this.timerDueAt = undefined;
      this.pump();
    }, Math.min(Math.max(0, dueAt - now), MAX_TIMER_MS));
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.timerDueAt = undefined;
  }

  /** Starts the attempt of an entry claimed for it (takePeer done); the slot is given back when it settles. */
  private startAttempt(entry: OutboxEntry): void {
    // An attempt of this id from before a stop()/start() is still out: it will settle the entry
    // (and give back its own slot).
    if (this.inFlight.has(entry.id)) {
      this.releasePeer(entry.to);
      return;
    }
    const attempt = this.attempt(entry)
      .catch((err: unknown) => this.log.error({ err, id: entry.id }, 'outbox: attempt bookkeeping failed'))
      .finally(() => {
        this.inFlight.delete(entry.id);
        this.releasePeer(entry.to);
        this.schedulePump();
      });
    this.inFlight.set(entry.id, attempt);
  }

  private takePeer(to: string): void {
    this.sendingTo.set(to, (this.sendingTo.get(to) ?? 0) + 1);
    this.sendingCount += 1;
  }

  private releasePeer(to: string): void {
    const n = (this.sendingTo.get(to) ?? 0) - 1;
    if (n > 0) this.sendingTo.set(to, n);
    else this.sendingTo.delete(to);
    this.sendingCount -= 1;
  }

  private async attempt(entry: OutboxEntry): Promise<void> {
    let fields: SendFields;
    try {
      fields = fieldsOf(entry);
    } catch (err) {
      this.settle(entry, { kind: 'failed', error: { code: 'internal_error', message: `stored body does not parse: ${(err as Error).message}` } });
      return;
    }
    this.log.debug({ id: entry.id, to: entry.to, attempt: entry.attempts }, 'outbox: attempt');
    let verdict: AttemptVerdict;
    try {
      const outcome = await this.send(entry.to, fields, { fromAgent: entry.agent });
      verdict = outcome.status === 'error' ? verdictForSystemError(outcome.code, outcome.message) : { kind: 'delivered' };
    } catch (err) {
      verdict = verdictForError(err);
    }
    await this.commit(() => this.settle(entry, verdict)).catch((err: unknown) => {
      // The store is gone (stopping): the entry stays 'sending' and start() requeues it.
      this.log.warn({ err, id: entry.id }, 'outbox: could not record an attempt; it will be retried after restart');
    });
  }

  /** Records what one attempt came to. The entry is as claimed (status 'sending'). */
  private settle(entry: OutboxEntry, verdict: AttemptVerdict): void {
    const now = this.now();
    let updated: OutboxEntry | undefined;
    let isAttemptFailure = false;
    try {
      switch (verdict.kind) {
        case 'delivered':
          this.peerHolds.delete(entry.to);
          updated = this.store.updateOutbox(entry.id, { status: 'delivered', deliveredAtMs: now, finishedAtMs: now, lastError: verdict.note ?? null }, ['sending', 'canceled']);
          this.log.debug({ id: entry.id, to: entry.to, note: verdict.note?.code }, 'outbox: delivered');
          break;
        case 'failed':
          updated = this.store.updateOutbox(entry.id, { status: 'failed', lastError: verdict.error, finishedAtMs: now }, ['sending']);
          this.log.info({ id: entry.id, to: entry.to, code: verdict.error.code, reason: verdict.error.message }, 'outbox: refused for good');
          break;
        case 'retry':
          if (now >= entry.expiresAtMs) {
            updated = this.store.updateOutbox(entry.id, { status: 'undeliverable', lastError: verdict.error, finishedAtMs: now }, ['sending']);
            this.log.info({ id: entry.id, to: entry.to, code: verdict.error.code, attempts: entry.attempts }, 'outbox: undeliverable (outbox_ttl reached)');
            break;
          }
          updated = this.retryLater(entry, verdict.error, verdict.isPeerLevel, now);
          isAttemptFailure = true;
          break;
      }
    } catch (err) {
      // The store is gone (stopping, or a simulated crash): the entry stays 'sending' on disk and
      // the next start() puts it back in the queue.
      this.log.warn({ err, id: entry.id }, 'outbox: could not record an attempt; it will be retried after restart');
      return;
    }
    if (updated) this.notify(updated, isAttemptFailure);
  }

  /**
   * Queues the entry for its next attempt. When the connection failed (not this message), the
   * peer is down: all its queued messages, this one included, wait for the same instant (the
   * latest any of them was given), so they go out again together, in their original order, over
   * one dial instead of one dial each.
   */
  private retryLater(entry: OutboxEntry, error: OutboxError, isPeerLevel: boolean, now: number): OutboxEntry | undefined {
    let next = now + retryDelayMs(entry.attempts, this.backoffMs, this.steadyRetryMs);
    if (isPeerLevel) {
      const hold = this.peerHolds.get(entry.to);
      if (hold !== undefined && hold > next) next = hold;
    }
    next = Math.min(next, entry.expiresAtMs);
    const updated = this.store.updateOutbox(entry.id, { status: 'queued', nextAttemptAtMs: next, lastError: error }, ['sending']);
    if (updated && isPeerLevel) {
      this.peerHolds.set(entry.to, Math.max(next, this.peerHolds.get(entry.to) ?? 0));
      this.store.deferQueued(entry.to, next);
      if (this.peerHolds.size > MAX_PEER_HOLDS) this.forgetPastHolds(now);
    }
    this.log.debug({ id: entry.id, to: entry.to, code: error.code, retryInMs: next - now }, 'outbox: attempt failed; will retry');
    return updated;
  }

  private forgetPastHolds(now: number): void {
    for (const [to, until] of this.peerHolds) if (until <= now) this.peerHolds.delete(to);
  }

  private notify(entry: OutboxEntry, isAttemptFailure: boolean): void {
    const set = this.listeners.get(entry.id);
    if (!set) return;
    for (const listener of [...set]) listener(entry, isAttemptFailure);
  }
}

function outcomeOf(entry: OutboxEntry, isAttemptFailure: boolean, untilFirstFailure: boolean): WaitOutcome | undefined {
  const status: OutboxStatus = entry.status;
  switch (status) {
    case 'delivered':
      return { status: 'delivered', entry };
    case 'failed':
    case 'undeliverable':
      return { status, code: entry.lastError?.code ?? status, message: entry.lastError?.message ?? '', entry };
    case 'canceled':
      return { status, code: 'canceled', message: 'the message was canceled', entry };
    case 'queued':
    case 'sending':
      if (isAttemptFailure && untilFirstFailure && entry.lastError) {
        return { status: 'retrying', code: entry.lastError.code, message: entry.lastError.message, entry };
      }
      return undefined;
  }
}

function fieldsOf(entry: OutboxEntry): SendFields {
  return {
    id: entry.id,
    type: entry.type,
    ...(entry.thread_id !== null && { thread_id: entry.thread_id }),
    ...(entry.reply_to !== null && { reply_to: entry.reply_to }),
    ...(entry.content_type !== null && { content_type: entry.content_type }),
    ...(entry.body !== null && { body: parseJson(entry.body) }),
  };
}

function checkMs(ms: number, name: string): number {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`${name} must be a finite number of milliseconds >= 0, got ${ms}`);
  return ms;
}

function checkCount(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer, got ${n}`);
  return n;
}
