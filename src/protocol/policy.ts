// Connection policy engine (wire spec §12; DESIGN §4 "Replies are let in", §8): decides whether an
// inbound peer (handshake key + canonical handshake address) is accepted, held for approval,
// let in for replies only, or refused. Pure state and decisions: no DNS, no I/O, no clock of its
// own (time comes from the injected `now`), no logging; the session layer acts on the verdicts.
//
// How the session layer uses it:
// 1. After the handshake, call `check({ publicKey, address, dnsVerified, addressVerified })`.
//    `address` is canonicalAddress() of the peer's handshake address. In dns-verified mode do the
//    DNS TXT check first and pass its outcome as `dnsVerified`: false when the host does not
//    need DNS (IP, localhost, *.local; address.ts needsDnsLookup), else look up dnsTxtName(host),
//    findAgentRecord(records, name) and isDnsKeyMatch(record, key) (dns-txt.ts).
// 2. 'accept': go on with negotiation. 'reject': close without sending anything (spec §4.4).
//    'pending': call `addPending(publicKey, address)`, answer with approval.request, close.
//    'reply-only': the key holds an active reply grant (we opened a thread with it) but would
//    otherwise not be let in. Accept the connection, then for EVERY message call
//    `isReplyAllowed(publicKey, threadId)` and deliver only those on granted threads; drop
//    (and log) the rest. The grant is a message-level permission, not a connection-level one.
// 3. When we send the first message of a thread to a peer, call `grantReply({ publicKey,
//    threadId, expiresAtMs })` so its answers come back even in approval/allowlist mode.

import { KEY_PREFIX, MAX_PENDING_APPROVALS } from './constants.js';
import { decodeBase64Strict, encodeBase64 } from './base64.js';
import { PUBLIC_KEY_BYTES } from './ed25519.js';

export const CONNECTION_MODES = ['open', 'allowlist', 'approval', 'dns-verified'] as const;
export type ConnectionMode = (typeof CONNECTION_MODES)[number];

/** Reply grants kept at most (they are created by our own outbound threads). */
export const MAX_REPLY_GRANTS = 10_000;

/**
 * Config `connection_mode`: an unknown string falls back to `approval` like the reference;
 * `isFallback` lets the config layer warn about it.
 */
export function parseConnectionMode(text: string): { mode: ConnectionMode; isFallback: boolean } {
  if ((CONNECTION_MODES as readonly string[]).includes(text)) return { mode: text as ConnectionMode, isFallback: false };
  return { mode: 'approval', isFallback: true };
}

/**
 * A permission rule, in the local API's `{type, value}` shape. A key rule's value is
 * `ed25519:<standard base64 of 32 bytes>`; an address rule's value is a pattern (§12): `*`,
 * host and name separated by `/`, either of them `*` (a wildcard host then a slash), with or
 * without `toq://`.
 */
export type PolicyRule =
  | { readonly type: 'key'; readonly value: string }
  | { readonly type: 'address'; readonly value: string };

export type PolicyVerdict = 'accept' | 'reject' | 'pending' | 'reply-only';

/** Stable reason codes; callers log and match on these. */
export type PolicyReason =
  | 'blocked-key'
  | 'blocked-address'
  | 'approved-key'
  | 'approved-address'
  | 'mode-open'
  | 'mode-allowlist'
  | 'pending-approval'
  | 'pending-queue-full'
  | 'dns-verified'
  | 'dns-not-verified'
  | 'reply-grant';

export interface PolicyDecision {
  readonly verdict: PolicyVerdict;
  readonly reason: PolicyReason;
  /** The matching rule, for block/approve reasons. */
  readonly rule?: PolicyRule;
  /** An address approve rule that matched but was not honoured because the address is unverified. */
  readonly unverifiedAddressRule?: PolicyRule;
}

export interface PolicyCheckInput {
  /** The 32-byte Ed25519 key proven in the handshake. */
  readonly publicKey: Uint8Array;
  /** canonicalAddress() of the handshake address; self-declared and unsigned (spec §4.3). */
  readonly address: string;
  /** The DNS TXT check succeeded for this key and address (spec §12). Also verifies the address. */
  readonly dnsVerified?: boolean;
  /**
   * The caller knows the address belongs to this key: a successful DNS check, or the key was
   * seen bound to this address when we approved it (peer store). Gates address APPROVE rules.
   */
  readonly addressVerified?: boolean;
}

export interface PendingRequest {
  readonly publicKey: string;
  readonly address: string;
  readonly requestedAtMs: number;
}

export interface ReplyGrant {
  readonly publicKey: string;
  readonly threadId: string;
  readonly expiresAtMs: number;
}

/** Plain-JSON state for the persistence layer (rules, pending requests, reply grants). */
export interface PolicyState {
  readonly approved: PolicyRule[];
  readonly blocked: PolicyRule[];
  readonly pending: PendingRequest[];
  readonly replyGrants: ReplyGrant[];
}

export interface PolicyOptions {
  readonly mode: ConnectionMode;
  /**
   * Honour address APPROVE rules on an unverified (claimed) address, as the reference does.
   * Off by default: anyone can claim any address (spec §21 item 7). Address BLOCK rules
   * always apply; blocking on a claimed address is safe.
   * @default false
   */
  readonly trustUnverifiedAddresses?: boolean;
  /**
   * Pending approval requests kept at most; a new key beyond it is rejected (spec §12).
   * @default 100 (MAX_PENDING_APPROVALS)
   */
  readonly maxPending?: number;
  /** @default 10000 (MAX_REPLY_GRANTS) */
  readonly maxReplyGrants?: number;
}

export interface PolicyDeps {
  /** Milliseconds since the epoch. */
  readonly now: () => number;
}

export class PolicyEngine {
  readonly mode: ConnectionMode;
  private readonly trustUnverifiedAddresses: boolean;
  private readonly maxPending: number;
  private readonly maxReplyGrants: number;
  private readonly now: () => number;
  /** Both lists keep insertion order (the local API lists them in that order). */
  private approved: PolicyRule[] = [];
  private blocked: PolicyRule[] = [];
  /** Key rules are also indexed by their text for the per-connection check. */
  private readonly approvedKeys = new Set<string>();
  private readonly blockedKeys = new Set<string>();
  /** Address rules pre-split for the check (rebuilt on every rule change, which is rare). */
  private approvedPatterns: CompiledPattern[] = [];
  private blockedPatterns: CompiledPattern[] = [];
  private readonly pending = new Map<string, PendingRequest>();
  /** key text → thread id → grant. */
  private readonly grants = new Map<string, Map<string, ReplyGrant>>();
  private grantCount = 0;
  /** Entries fromJSON() skipped, with why; for the persistence layer to log. */
  readonly loadWarnings: string[] = [];

  constructor(options: PolicyOptions, deps: PolicyDeps) {
    if (!(CONNECTION_MODES as readonly string[]).includes(options.mode)) {
      throw new RangeError(`unknown connection mode ${JSON.stringify(options.mode)}; use parseConnectionMode`);
    }
    this.mode = options.mode;
    this.trustUnverifiedAddresses = options.trustUnverifiedAddresses ?? false;
    this.maxPending = checkCount(options.maxPending ?? MAX_PENDING_APPROVALS, 'maxPending');
    this.maxReplyGrants = checkCount(options.maxReplyGrants ?? MAX_REPLY_GRANTS, 'maxReplyGrants', 1);
    if (typeof deps.now !== 'function') throw new TypeError('deps.now must be a function');
    this.now = deps.now;
  }

  /**
   * The decision for one inbound connection. No side effects: on 'pending' the caller records
   * the request with addPending(). Order (spec §12, plus DESIGN §4 and §8):
   * 1. a block rule matches (key, or address whether verified or not) → reject;
   * 2. a key approve rule matches, or an address approve rule on a verified address
   *    (any address with trustUnverifiedAddresses) → accept;
   * 3. the mode: open → accept; dns-verified → accept when dnsVerified;
   * 4. an active reply grant for the key → reply-only;
   * 5. the mode's refusal: allowlist/dns-verified → reject; approval → pending while the queue
   *    has room (a key already pending always has room: it only refreshes its entry) else reject.
   */
  check(input: PolicyCheckInput): PolicyDecision {
    const keyText = keyTextOf(input.publicKey);
    const address = input.address;
    if (typeof address !== 'string') throw new TypeError('address must be a string');

    if (this.blockedKeys.has(keyText)) {
      return { verdict: 'reject', reason: 'blocked-key', rule: { type: 'key', value: keyText } };
    }
    const target = splitAddress(address);
    for (const pattern of this.blockedPatterns) {
      if (patternMatches(pattern, target)) return { verdict: 'reject', reason: 'blocked-address', rule: pattern.rule };
    }

    if (this.approvedKeys.has(keyText)) {
      return { verdict: 'accept', reason: 'approved-key', rule: { type: 'key', value: keyText } };
    }
    const isAddressTrusted =
      this.trustUnverifiedAddresses || input.addressVerified === true || input.dnsVerified === true;
    let unverifiedAddressRule: PolicyRule | undefined;
    for (const pattern of this.approvedPatterns) {
      if (!patternMatches(pattern, target)) continue;
      if (isAddressTrusted) return { verdict: 'accept', reason: 'approved-address', rule: pattern.rule };
      unverifiedAddressRule ??= pattern.rule;
    }
    const extra = unverifiedAddressRule === undefined ? {} : { unverifiedAddressRule };

    if (this.mode === 'open') return { verdict: 'accept', reason: 'mode-open', ...extra };
    if (this.mode === 'dns-verified' && input.dnsVerified === true) {
      return { verdict: 'accept', reason: 'dns-verified', ...extra };
    }

    if (this.hasGrantFor(keyText)) return { verdict: 'reply-only', reason: 'reply-grant', ...extra };

    switch (this.mode) {
      case 'allowlist':
        return { verdict: 'reject', reason: 'mode-allowlist', ...extra };
      case 'dns-verified':
        return { verdict: 'reject', reason: 'dns-not-verified', ...extra };
      case 'approval':
        if (this.pending.size < this.maxPending || this.pending.has(keyText)) {
          return { verdict: 'pending', reason: 'pending-approval', ...extra };
        }
        return { verdict: 'reject', reason: 'pending-queue-full', ...extra };
    }
  }

  /**
   * Records (or refreshes: address and time are overwritten) the pending request of a key.
   * Returns false, recording nothing, when the key is new and the queue is full.
   */
  addPending(publicKey: Uint8Array, address: string): boolean {
    const keyText = keyTextOf(publicKey);
    if (!this.pending.has(keyText) && this.pending.size >= this.maxPending) return false;
    this.pending.set(keyText, { publicKey: keyText, address, requestedAtMs: this.now() });
    return true;
  }

  /** Removes a pending request without approving it. Returns whether one existed. */
  deny(publicKey: Uint8Array | string): boolean {
    return this.pending.delete(normalizeKey(publicKey));
  }

  /** Adds a key approve rule and drops the key's pending request (even if none was pending). */
  approvePending(publicKey: Uint8Array | string): void {
    this.approve(keyRule(normalizeKey(publicKey)));
  }

  /** Adds an approve rule (if not already present); a key rule also drops that key's pending request. */
  approve(rule: PolicyRule): void {
    const normalized = normalizeRule(rule);
    if (normalized.type === 'key') {
      this.pending.delete(normalized.value);
      if (this.approvedKeys.has(normalized.value)) return;
      this.approvedKeys.add(normalized.value);
      this.approved.push(normalized);
      return;
    }
    if (!this.approved.some((r) => sameRule(r, normalized))) this.approved.push(normalized);
    this.reindex();
  }

  /** Removes an identical approve rule. Returns whether one existed. */
  revoke(rule: PolicyRule): boolean {
    const normalized = normalizeRule(rule);
    const before = this.approved.length;
    this.approved = this.approved.filter((r) => !sameRule(r, normalized));
    if (normalized.type === 'key') this.approvedKeys.delete(normalized.value);
    this.reindex();
    return this.approved.length !== before;
  }

  /**
   * Adds a block rule. A key block also removes that key's approve rule; an address block removes
   * nothing (block beats approve anyway).
   */
  block(rule: PolicyRule): void {
    const normalized = normalizeRule(rule);
    if (normalized.type === 'key') {
      if (this.approvedKeys.delete(normalized.value)) {
        this.approved = this.approved.filter((r) => !sameRule(r, normalized));
      }
      if (this.blockedKeys.has(normalized.value)) return;
      this.blockedKeys.add(normalized.value);
      this.blocked.push(normalized);
      return;
    }
    if (!this.blocked.some((r) => sameRule(r, normalized))) this.blocked.push(normalized);
    this.reindex();
  }

  /** Removes an identical block rule. Returns whether one existed. */
  unblock(rule: PolicyRule): boolean {
    const normalized = normalizeRule(rule);
    const before = this.blocked.length;
    this.blocked = this.blocked.filter((r) => !sameRule(r, normalized));
    if (normalized.type === 'key') this.blockedKeys.delete(normalized.value);
    this.reindex();
    return this.blocked.length !== before;
  }

  private reindex(): void {
    this.approvedPatterns = this.approved.filter((r) => r.type === 'address').map(compilePattern);
    this.blockedPatterns = this.blocked.filter((r) => r.type === 'address').map(compilePattern);
  }

  listApproved(): PolicyRule[] {
    return this.approved.slice();
  }

  listBlocked(): PolicyRule[] {
    return this.blocked.slice();
  }

  listPending(): PendingRequest[] {
    return [...this.pending.values()];
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /**
   * Lets `publicKey` send on `threadId` until `expiresAtMs` (DESIGN §4). A repeat for the same
   * key and thread replaces the expiry. When the table is full, expired grants are dropped
   * first, then the oldest one.
   */
  grantReply(grant: { publicKey: Uint8Array | string; threadId: string; expiresAtMs: number }): void {
    const keyText = normalizeKey(grant.publicKey);
    if (typeof grant.threadId !== 'string' || grant.threadId.length === 0) {
      throw new RangeError('threadId must be a non-empty string');
    }
    if (!Number.isFinite(grant.expiresAtMs)) throw new RangeError('expiresAtMs must be a finite number');
    if (this.grants.get(keyText)?.has(grant.threadId) !== true) {
      if (this.grantCount >= this.maxReplyGrants) {
        this.pruneExpired();
        if (this.grantCount >= this.maxReplyGrants) this.dropOldestGrant();
      }
      this.grantCount++;
    }
    // Looked up again: pruning may have removed this key's map.
    let threads = this.grants.get(keyText);
    if (threads === undefined) {
      threads = new Map();
      this.grants.set(keyText, threads);
    }
    threads.set(grant.threadId, { publicKey: keyText, threadId: grant.threadId, expiresAtMs: grant.expiresAtMs });
  }

  /** Ends a reply grant early (thread closed). Returns whether one existed. */
  revokeReply(publicKey: Uint8Array | string, threadId: string): boolean {
    const keyText = normalizeKey(publicKey);
    const threads = this.grants.get(keyText);
    if (threads === undefined || !threads.delete(threadId)) return false;
    this.grantCount--;
    if (threads.size === 0) this.grants.delete(keyText);
    return true;
  }

  /** Message-level check for 'reply-only' sessions: an unexpired grant for this key and thread. */
  isReplyAllowed(publicKey: Uint8Array | string, threadId: string): boolean {
    const grant = this.grants.get(normalizeKey(publicKey))?.get(threadId);
    return grant !== undefined && this.now() < grant.expiresAtMs;
  }

  /** Whether the key holds at least one unexpired grant (connection-level 'reply-only'). */
  hasReplyGrant(publicKey: Uint8Array | string): boolean {
    return this.hasGrantFor(normalizeKey(publicKey));
  }

  private hasGrantFor(keyText: string): boolean {
    const threads = this.grants.get(keyText);
    if (threads === undefined) return false;
    const now = this.now();
    for (const grant of threads.values()) if (now < grant.expiresAtMs) return true;
    return false;
  }

  listReplyGrants(): ReplyGrant[] {
    const out: ReplyGrant[] = [];
    for (const threads of this.grants.values()) out.push(...threads.values());
    return out;
  }

  /** Drops expired reply grants; returns how many. Call it now and then (e.g. with the thread sweeper). */
  pruneExpired(): number {
    const now = this.now();
    let removed = 0;
    for (const [keyText, threads] of this.grants) {
      for (const [threadId, grant] of threads) {
        if (now >= grant.expiresAtMs) {
          threads.delete(threadId);
          removed++;
        }
      }
      if (threads.size === 0) this.grants.delete(keyText);
    }
    this.grantCount -= removed;
    return removed;
  }

  private dropOldestGrant(): void {
    const first = this.grants.entries().next();
    if (first.done === true) return;
    const [keyText, threads] = first.value;
    const oldest = threads.keys().next();
    if (oldest.done !== true) {
      threads.delete(oldest.value);
      this.grantCount--;
    }
    if (threads.size === 0) this.grants.delete(keyText);
  }

  /** Plain JSON for persistence; expired grants are left out. */
  toJSON(): PolicyState {
    const now = this.now();
    return {
      approved: this.listApproved(),
      blocked: this.listBlocked(),
      pending: this.listPending(),
      replyGrants: this.listReplyGrants().filter((g) => now < g.expiresAtMs),
    };
  }

  /**
   * Rebuilds an engine from toJSON() output. Like the reference's permissions loader, entries
   * that do not parse (bad key text, unknown rule type) are skipped and listed in loadWarnings.
   * A value that is not an object at all is a TypeError.
   */
  static fromJSON(state: unknown, options: PolicyOptions, deps: PolicyDeps): PolicyEngine {
    if (typeof state !== 'object' || state === null || Array.isArray(state)) {
      throw new TypeError('policy state must be an object');
    }
    const engine = new PolicyEngine(options, deps);
    const s = state as Record<string, unknown>;
    for (const item of arrayField(s, 'blocked')) {
      const rule = readRule(item);
      if (typeof rule === 'string') engine.loadWarnings.push(`blocked: ${rule}`);
      else engine.block(rule);
    }
    for (const item of arrayField(s, 'approved')) {
      const rule = readRule(item);
      if (typeof rule === 'string') engine.loadWarnings.push(`approved: ${rule}`);
      // Blocked rules were loaded first, so a key present in both lists keeps both, as saved
      // (block() would have dropped the approve rule; check() lets the block win anyway).
      else engine.approve(rule);
    }
    for (const item of arrayField(s, 'pending')) {
      const entry = item as Partial<Record<keyof PendingRequest, unknown>> | null;
      const keyText = typeof entry?.publicKey === 'string' ? parseKeyText(entry.publicKey) : undefined;
      if (
        keyText === undefined ||
        typeof entry?.address !== 'string' ||
        typeof entry.requestedAtMs !== 'number' ||
        !Number.isFinite(entry.requestedAtMs)
      ) {
        engine.loadWarnings.push('pending: malformed entry skipped');
        continue;
      }
      if (engine.pending.size >= engine.maxPending && !engine.pending.has(keyText)) {
        engine.loadWarnings.push('pending: queue full, entry skipped');
        continue;
      }
      engine.pending.set(keyText, { publicKey: keyText, address: entry.address, requestedAtMs: entry.requestedAtMs });
    }
    for (const item of arrayField(s, 'replyGrants')) {
      const grant = item as Partial<Record<keyof ReplyGrant, unknown>> | null;
      const keyText = typeof grant?.publicKey === 'string' ? parseKeyText(grant.publicKey) : undefined;
      if (
        keyText === undefined ||
        typeof grant?.threadId !== 'string' ||
        grant.threadId.length === 0 ||
        typeof grant.expiresAtMs !== 'number' ||
        !Number.isFinite(grant.expiresAtMs)
      ) {
        engine.loadWarnings.push('replyGrants: malformed entry skipped');
        continue;
      }
      engine.grantReply({ publicKey: keyText, threadId: grant.threadId, expiresAtMs: grant.expiresAtMs });
    }
    return engine;
  }
}

/**
 * Spec §12 `address_matches`: `toq://` stripped from both sides; `*` matches everything;
 * otherwise host and name are split at the FIRST `/` (a pattern without `/` means name `*`, an
 * address without `/` never matches), and each side is `*` or an exact, case-sensitive match.
 * No partial globs. The host includes `:port` whenever the canonical address shows one.
 */
export function addressMatches(pattern: string, address: string): boolean {
  return patternMatches(compilePattern({ type: 'address', value: pattern }), splitAddress(address));
}

interface CompiledPattern {
  readonly rule: PolicyRule;
  /** The pattern is `*` (after `toq://`): matches even an address without `/`. */
  readonly isAll: boolean;
  readonly host: string;
  readonly name: string;
}

interface SplitAddress {
  /** undefined when the address has no `/`: then only `*` matches. */
  readonly host: string | undefined;
  readonly name: string;
}

function stripScheme(text: string): string {
  return text.startsWith('toq://') ? text.slice(6) : text;
}

function compilePattern(rule: PolicyRule): CompiledPattern {
  const pat = stripScheme(rule.value);
  const slash = pat.indexOf('/');
  if (slash < 0) return { rule, isAll: pat === '*', host: pat, name: '*' };
  return { rule, isAll: false, host: pat.slice(0, slash), name: pat.slice(slash + 1) };
}

function splitAddress(address: string): SplitAddress {
  const addr = stripScheme(address);
  const slash = addr.indexOf('/');
  if (slash < 0) return { host: undefined, name: '' };
  return { host: addr.slice(0, slash), name: addr.slice(slash + 1) };
}

function patternMatches(pattern: CompiledPattern, address: SplitAddress): boolean {
  if (pattern.isAll) return true;
  if (address.host === undefined) return false;
  return (pattern.host === '*' || pattern.host === address.host) && (pattern.name === '*' || pattern.name === address.name);
}

/** `ed25519:` + standard base64 of a 32-byte key: the form key rules and lists use. */
export function keyRule(publicKey: Uint8Array | string): PolicyRule {
  return { type: 'key', value: normalizeKey(publicKey) };
}

export function addressRule(pattern: string): PolicyRule {
  if (typeof pattern !== 'string' || pattern.length === 0) throw new RangeError('address pattern must be a non-empty string');
  return { type: 'address', value: pattern };
}

function keyTextOf(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== PUBLIC_KEY_BYTES) {
    throw new RangeError(`public key must be ${PUBLIC_KEY_BYTES} bytes`);
  }
  return KEY_PREFIX + encodeBase64(publicKey);
}

/** Key text in canonical form, or undefined. Accepts `ed25519:<b64>` or bare canonical base64. */
function parseKeyText(text: string): string | undefined {
  const b64 = text.startsWith(KEY_PREFIX) ? text.slice(KEY_PREFIX.length) : text;
  try {
    const bytes = decodeBase64Strict(b64, 'public key');
    return bytes.length === PUBLIC_KEY_BYTES ? KEY_PREFIX + b64 : undefined;
  } catch {
    // Non-canonical base64 is simply "not a key" here; the caller reports it.
    return undefined;
  }
}

function normalizeKey(publicKey: Uint8Array | string): string {
  if (typeof publicKey !== 'string') return keyTextOf(publicKey);
  const keyText = parseKeyText(publicKey);
  if (keyText === undefined) throw new RangeError(`not an Ed25519 public key: ${JSON.stringify(publicKey.slice(0, 80))}`);
  return keyText;
}

function normalizeRule(rule: PolicyRule): PolicyRule {
  if (rule === null || typeof rule !== 'object') throw new TypeError('rule must be an object');
  if (rule.type === 'key') return keyRule(rule.value);
  if (rule.type === 'address') return addressRule(rule.value);
  throw new RangeError(`unknown rule type ${JSON.stringify((rule as { type: unknown }).type)}`);
}

function sameRule(a: PolicyRule, b: PolicyRule): boolean {
  return a.type === b.type && a.value === b.value;
}

function readRule(item: unknown): PolicyRule | string {
  if (item === null || typeof item !== 'object') return 'rule is not an object';
  const { type, value } = item as { type?: unknown; value?: unknown };
  if (typeof value !== 'string') return 'rule value is not a string';
  if (type === 'key') {
    const keyText = parseKeyText(value);
    return keyText === undefined ? 'key rule value is not an Ed25519 public key' : { type: 'key', value: keyText };
  }
  if (type === 'address') return value.length === 0 ? 'empty address pattern' : { type: 'address', value };
  return `unknown rule type ${JSON.stringify(type)}`;
}

function arrayField(state: Record<string, unknown>, name: string): unknown[] {
  const value = state[name];
  return Array.isArray(value) ? value : [];
}

function checkCount(value: number, name: string, min = 0): number {
  if (!Number.isInteger(value) || value < min) throw new RangeError(`${name} must be an integer >= ${min}`);
  return value;
}
