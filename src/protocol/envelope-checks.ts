// Our receive rules beyond the reference (wire spec §10, §21 item 5, DESIGN §8): sequence order
// per direction, duplicate ids, TTL, blocked content types, recipient count, `from` = the
// handshake agent, `to` names one of our agents. Pure: the clock is injected; the caller has
// already parsed and signature-checked the envelope, and decides how to act on the result.

import { parseAddress } from './address.js';
import { BLOCKED_CONTENT_TYPE_PREFIXES, DEDUP_WINDOW_MS, MAX_RECIPIENTS } from './constants.js';
import type { Envelope } from './envelope.js';
import { ProtocolError } from './errors.js';
import { isAckedType } from './message-types.js';
import { parseTimestamp } from './timestamp.js';

const U64_MAX = (1n << 64n) - 1n;

/**
 * Incoming sequence numbers of one direction of one connection must strictly increase
 * (the library rule of §10; reference senders number 0, 1, 2, ... per direction, §20 item 21).
 */
export class SequenceTracker {
  private highest: bigint | undefined;

  /** @param lastSeen the highest number already seen (e.g. 1n after the card exchange) */
  constructor(lastSeen?: bigint) {
    this.highest = lastSeen;
  }

  get last(): bigint | undefined {
    return this.highest;
  }

  /** Records `sequence`, or throws ProtocolError('sequence_violation') if it is not above the last one. */
  observe(sequence: bigint): void {
    if (this.highest !== undefined && sequence <= this.highest) {
      throw new ProtocolError('sequence_violation', `sequence ${sequence} is not above ${this.highest}`);
    }
    this.highest = sequence;
  }
}

/** Our own outgoing numbers: 0 and 1 are spent by setup, so a session starts at 2 (§8). */
export class OutgoingSequence {
  private nextValue: bigint;

  /** @default start 2n */
  constructor(start = 2n) {
    if (start < 0n || start > U64_MAX) throw new RangeError(`sequence ${start} is not a u64`);
    this.nextValue = start;
  }

  /** The number the next envelope will carry, without spending it. */
  peek(): bigint {
    return this.nextValue;
  }

  /** Spends and returns the next number (even if the write later fails, like the reference). */
  next(): bigint {
    const value = this.nextValue;
    if (value > U64_MAX) throw new RangeError('outgoing sequence numbers exhausted');
    this.nextValue = value + 1n;
    return value;
  }
}

/** Anything that can say whether an envelope id was already delivered (memory window or store). */
export interface SeenIds {
  seen(id: string): boolean;
}

export interface DedupWindowOptions {
  /** How long an id is remembered. @default 300000 (DEDUP_WINDOW_MS) */
  windowMs?: number;
  /** Most ids kept; the oldest go first when full. @default 100000 */
  maxEntries?: number;
  /** Epoch milliseconds. */
  now: () => number;
}

/** Ids seen in the last `windowMs`, bounded in size. Insertion order = time order, so eviction is from the front. */
export class DedupWindow implements SeenIds {
  private readonly ids = new Map<string, number>();
  private readonly windowMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(options: DedupWindowOptions) {
    this.windowMs = options.windowMs ?? DEDUP_WINDOW_MS;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.now = options.now;
    if (!(this.windowMs > 0)) throw new RangeError(`windowMs must be positive, got ${this.windowMs}`);
    if (!Number.isSafeInteger(this.maxEntries) || this.maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${this.maxEntries}`);
    }
  }

  get size(): number {
    return this.ids.size;
  }

  seen(id: string): boolean {
    this.evict(this.now());
    return this.ids.has(id);
  }

  /** Call once the envelope was delivered (committed), not before: a failed delivery may be retried. */
  remember(id: string): void {
    const now = this.now();
    this.evict(now);
    // Re-inserting moves the id to the back, keeping the map in time order.
    this.ids.delete(id);
    this.ids.set(id, now);
    while (this.ids.size > this.maxEntries) {
      const oldest = this.ids.keys().next();
      if (oldest.done === true) break;
      this.ids.delete(oldest.value);
    }
  }

  private evict(now: number): void {
    const cutoff = now - this.windowMs;
    for (const [id, at] of this.ids) {
      if (at > cutoff) break;
      this.ids.delete(id);
    }
  }
}

// ---------------------------------------------------------------------------------------------

/** The agents of ours that this session may address, by agent name → canonical address. */
export type LocalAgentAddresses = ReadonlyMap<string, string>;

export interface EnvelopeCheckContext {
  /** The peer's handshake address, canonical (§4.3). */
  readonly peerAddress: string;
  /** Our agents, name → canonical address (DESIGN §3). */
  readonly localAgents: LocalAgentAddresses;
  /** The peer's direction of this connection. */
  readonly sequence: SequenceTracker;
  readonly dedup: SeenIds;
  /** Epoch milliseconds, for TTL. */
  readonly now: () => number;
}

export interface RecipientAddressMismatch {
  readonly kind: 'recipient-address-mismatch';
  /** The `to` entry as sent (canonical). */
  readonly to: string;
  /** Our address for that agent name. */
  readonly ours: string;
}

export type EnvelopeWarning = RecipientAddressMismatch;

/** The `system.error` body to send (§7): `{"code", "message", "related_id"}`. */
export interface SystemErrorReply {
  readonly code: string;
  readonly message: string;
  readonly related_id: string;
}

export type EnvelopeCheckResult =
  /** Hand it on (and ack it, for acked types). `recipient` is the agent name it is for. */
  | { readonly action: 'deliver'; readonly recipient: string; readonly warnings: readonly EnvelopeWarning[] }
  /** Already delivered: ack it again, never deliver twice (DESIGN §7). */
  | { readonly action: 'ack-duplicate'; readonly recipient: string; readonly warnings: readonly EnvelopeWarning[] }
  /** Refused; answer with system.error (only for types whose sender waits for an answer). */
  | { readonly action: 'system-error'; readonly error: ProtocolError; readonly reply: SystemErrorReply }
  /** Refused or a duplicate of a type nobody acks: log and drop, send nothing (no error loops). */
  | { readonly action: 'drop'; readonly error: ProtocolError }
  /** A fatal breach: close the connection. */
  | { readonly action: 'close'; readonly error: ProtocolError };

const BLOCKED: readonly string[] = BLOCKED_CONTENT_TYPE_PREFIXES;

/** §10: prefix match after ASCII lower-casing, as the reference's `to_ascii_lowercase`. */
export function isBlockedContentType(contentType: string): boolean {
  const lower = contentType.replace(/[A-Z]+/g, (s) => s.toLowerCase());
  return BLOCKED.some((prefix) => lower.startsWith(prefix));
}

/**
 * §10 TTL: undefined when alive (or no ttl); a ProtocolError otherwise — ttl_expired when
 * timestamp + ttl seconds is in the past, invalid_envelope when a ttl comes with a timestamp
 * that is not RFC 3339.
 */
export function ttlProblem(env: Envelope, nowMs: number): ProtocolError | undefined {
  if (env.ttl === undefined) return undefined;
  const created = parseTimestamp(env.timestamp);
  if (created === undefined) {
    return new ProtocolError('invalid_envelope', `timestamp ${JSON.stringify(env.timestamp.slice(0, 40))} is not RFC 3339, so ttl cannot be checked`);
  }
  // Compare in whole ms as bigints: ttl may be up to 2^64-1 seconds.
  const expiresMs = BigInt(Math.floor(created)) + env.ttl * 1000n;
  if (BigInt(Math.floor(nowMs)) > expiresMs) {
    return new ProtocolError('ttl_expired', `envelope ${env.id} expired (timestamp ${env.timestamp}, ttl ${env.ttl}s)`);
  }
  return undefined;
}

/**
 * Which of our agents the envelope is for: the first `to` entry equal to one of our addresses,
 * else the first whose agent name is one of ours (with a warning: peers may know us by another
 * host or port, DESIGN §8). undefined when no entry names one of our agents.
 */
export function findRecipient(
  to: readonly string[],
  localAgents: LocalAgentAddresses,
): { name: string; warnings: EnvelopeWarning[] } | undefined {
  for (const entry of to) {
    const name = parseAddress(entry).name;
    if (localAgents.get(name) === entry) return { name, warnings: [] };
  }
  for (const entry of to) {
    const name = parseAddress(entry).name;
    const ours = localAgents.get(name);
    if (ours !== undefined) return { name, warnings: [{ kind: 'recipient-address-mismatch', to: entry, ours }] };
  }
  return undefined;
}

function refuse(env: Envelope, error: ProtocolError): EnvelopeCheckResult {
  if (error.severity === 'fatal') return { action: 'close', error };
  // Only senders of acked types wait for an answer; answering anything else risks error loops,
  // and a reference sender takes the first envelope back as its ack anyway (§20 item 19).
  if (!isAckedType(env.type)) return { action: 'drop', error };
  return { action: 'system-error', error, reply: { code: error.code, message: error.message, related_id: env.id } };
}

/**
 * Runs our stricter receive rules on a parsed, signature-checked envelope, in this order:
 * `from` = handshake address (protocol_violation → close), sequence (sequence_violation),
 * 1..100 recipients and one naming our agent (invalid_envelope), duplicate id (ack again or
 * drop), blocked content type (executable_content_blocked), TTL (ttl_expired /
 * invalid_envelope). The sequence is recorded even when a later check refuses the envelope.
 */
export function checkEnvelope(env: Envelope, ctx: EnvelopeCheckContext): EnvelopeCheckResult {
  if (env.from !== ctx.peerAddress) {
    return refuse(env, new ProtocolError('protocol_violation', `from ${env.from} is not the handshake address ${ctx.peerAddress}`));
  }
  try {
    ctx.sequence.observe(env.sequence);
  } catch (err) {
    if (err instanceof ProtocolError) return refuse(env, err);
    throw err;
  }
  if (env.to.length === 0 || env.to.length > MAX_RECIPIENTS) {
    return refuse(env, new ProtocolError('invalid_envelope', `to has ${env.to.length} recipients; 1 to ${MAX_RECIPIENTS} allowed`));
  }
  const recipient = findRecipient(env.to, ctx.localAgents);
  if (recipient === undefined) {
    return refuse(env, new ProtocolError('invalid_envelope', `no recipient in to names one of our agents`));
  }
  if (ctx.dedup.seen(env.id)) {
    if (isAckedType(env.type)) return { action: 'ack-duplicate', recipient: recipient.name, warnings: recipient.warnings };
    return { action: 'drop', error: new ProtocolError('duplicate_message', `envelope ${env.id} was already received`) };
  }
  if (env.content_type !== undefined && isBlockedContentType(env.content_type)) {
    return refuse(env, new ProtocolError('executable_content_blocked', `content type ${JSON.stringify(env.content_type.slice(0, 80))} is blocked`));
  }
  const ttl = ttlProblem(env, ctx.now());
  if (ttl !== undefined) return refuse(env, ttl);
  return { action: 'deliver', recipient: recipient.name, warnings: recipient.warnings };
}
