import { describe, it, expect } from 'vitest';
import fixture from '../../../fixtures/toq/policy.json' with { type: 'json' };
import {
  PolicyEngine,
  addressMatches,
  addressRule,
  keyRule,
  parseConnectionMode,
  type PendingRequest,
  type PolicyOptions,
  type PolicyRule,
  type ReplyGrant,
} from '../../../src/protocol/policy.js';
import { decodeBase64Strict, encodeBase64 } from '../../../src/protocol/base64.js';

interface MatchCase {
  id: string;
  kind: 'match';
  pattern: string;
  address: string;
  matches: boolean;
}

interface CheckCase {
  id: string;
  kind: 'check';
  mode: string;
  options?: { trustUnverifiedAddresses?: boolean; maxPending?: number };
  approved: PolicyRule[];
  blocked: PolicyRule[];
  pending: PendingRequest[];
  pendingFiller?: number;
  replyGrants: ReplyGrant[];
  nowMs: number;
  input: { publicKey: string; address: string; dnsVerified?: boolean; addressVerified?: boolean };
  expect: { verdict: string; reason: string; modeFallback?: boolean; unverifiedAddressRule?: PolicyRule };
}

const cases = fixture.cases as (MatchCase | CheckCase)[];

const KEY_A = 'ed25519:iojj3XQJ8ZX9UtstPLpdcspnCb8dlBIb83SIAbQPb1w=';
const KEY_B = 'ed25519:gTl3Dqh9F19Wo1Rmw0x+zMuNipG07jeiXfYPW4/Js5Q=';
const ADDR = 'toq://agents.example.org/alice';

function keyBytes(text: string): Uint8Array {
  return new Uint8Array(decodeBase64Strict(text.slice('ed25519:'.length)));
}

/** A key distinct from the fixture's A, B and C (which are 0x8a.., 0x81.., 0x03..). */
function fillerKey(i: number): Uint8Array {
  const bytes = new Uint8Array(32);
  bytes[0] = 0xee;
  bytes[1] = i >> 8;
  bytes[2] = i & 0xff;
  return bytes;
}

const A = keyBytes(KEY_A);
const B = keyBytes(KEY_B);

function engineFor(c: CheckCase): { engine: PolicyEngine; isFallback: boolean } {
  const { mode, isFallback } = parseConnectionMode(c.mode);
  const filler: PendingRequest[] = Array.from({ length: c.pendingFiller ?? 0 }, (_, i) => ({
    publicKey: `ed25519:${encodeBase64(fillerKey(i))}`,
    address: `toq://filler${i}.example/f`,
    requestedAtMs: i,
  }));
  const options: PolicyOptions = { mode, ...c.options };
  const engine = PolicyEngine.fromJSON(
    { approved: c.approved, blocked: c.blocked, pending: [...c.pending, ...filler], replyGrants: c.replyGrants },
    options,
    { now: () => c.nowMs },
  );
  expect(engine.loadWarnings).toEqual([]);
  return { engine, isFallback };
}

describe('policy fixture (spec §12, DESIGN §4/§8)', () => {
  for (const c of cases) {
    it(c.id, () => {
      if (c.kind === 'match') {
        expect(addressMatches(c.pattern, c.address)).toBe(c.matches);
        return;
      }
      const { engine, isFallback } = engineFor(c);
      expect(isFallback).toBe(c.expect.modeFallback ?? false);
      const pendingBefore = engine.pendingCount;
      const decision = engine.check({ ...c.input, publicKey: keyBytes(c.input.publicKey) });
      expect(decision.verdict).toBe(c.expect.verdict);
      expect(decision.reason).toBe(c.expect.reason);
      expect(decision.unverifiedAddressRule).toEqual(c.expect.unverifiedAddressRule);
      // check() never records anything.
      expect(engine.pendingCount).toBe(pendingBefore);
    });
  }
});

function makeEngine(options: Partial<PolicyOptions> = {}, clock = { t: 1000 }): PolicyEngine {
  return new PolicyEngine({ mode: 'approval', ...options }, { now: () => clock.t });
}

describe('parseConnectionMode', () => {
  it('knows the four modes and falls back to approval', () => {
    expect(parseConnectionMode('open')).toEqual({ mode: 'open', isFallback: false });
    expect(parseConnectionMode('allowlist')).toEqual({ mode: 'allowlist', isFallback: false });
    expect(parseConnectionMode('approval')).toEqual({ mode: 'approval', isFallback: false });
    expect(parseConnectionMode('dns-verified')).toEqual({ mode: 'dns-verified', isFallback: false });
    expect(parseConnectionMode('dns_verified')).toEqual({ mode: 'approval', isFallback: true });
    expect(parseConnectionMode('')).toEqual({ mode: 'approval', isFallback: true });
  });

  it('the engine itself refuses an unparsed mode', () => {
    expect(() => new PolicyEngine({ mode: 'bogus' as 'open' }, { now: () => 0 })).toThrow(RangeError);
  });
});

describe('pending requests', () => {
  it('the approval flow: pending → addPending → approvePending → accept', () => {
    const clock = { t: 5000 };
    const engine = makeEngine({}, clock);
    expect(engine.check({ publicKey: A, address: ADDR }).verdict).toBe('pending');
    expect(engine.addPending(A, ADDR)).toBe(true);
    expect(engine.listPending()).toEqual([{ publicKey: KEY_A, address: ADDR, requestedAtMs: 5000 }]);
    engine.approvePending(A);
    expect(engine.listPending()).toEqual([]);
    expect(engine.listApproved()).toEqual([keyRule(KEY_A)]);
    expect(engine.check({ publicKey: A, address: 'toq://elsewhere.example/x' })).toMatchObject({
      verdict: 'accept',
      reason: 'approved-key',
    });
  });

  it('a repeat attempt overwrites address and time', () => {
    const clock = { t: 1 };
    const engine = makeEngine({}, clock);
    engine.addPending(A, 'toq://one.example/a');
    clock.t = 2;
    engine.addPending(A, 'toq://two.example/a');
    expect(engine.listPending()).toEqual([{ publicKey: KEY_A, address: 'toq://two.example/a', requestedAtMs: 2 }]);
    expect(engine.pendingCount).toBe(1);
  });

  it('a new key is not recorded when the queue is full, a known key still is', () => {
    const engine = makeEngine({ maxPending: 2 });
    expect(engine.addPending(A, ADDR)).toBe(true);
    expect(engine.addPending(B, ADDR)).toBe(true);
    expect(engine.addPending(fillerKey(1), ADDR)).toBe(false);
    expect(engine.addPending(A, 'toq://again.example/a')).toBe(true);
    expect(engine.pendingCount).toBe(2);
  });

  it('deny removes the request without approving', () => {
    const engine = makeEngine();
    engine.addPending(A, ADDR);
    expect(engine.deny(KEY_A)).toBe(true);
    expect(engine.deny(KEY_A)).toBe(false);
    expect(engine.listApproved()).toEqual([]);
    expect(engine.check({ publicKey: A, address: ADDR }).verdict).toBe('pending');
  });

  it('approving by key (approve rule) removes the pending entry; an address approve does not', () => {
    const engine = makeEngine();
    engine.addPending(A, ADDR);
    engine.approve(addressRule('toq://*/alice'));
    expect(engine.pendingCount).toBe(1);
    engine.approve(keyRule(A));
    expect(engine.pendingCount).toBe(0);
  });

  it('approvePending works even when nothing was pending (local API semantics)', () => {
    const engine = makeEngine({ mode: 'allowlist' });
    engine.approvePending(B);
    expect(engine.check({ publicKey: B, address: ADDR }).verdict).toBe('accept');
  });
});

describe('rules', () => {
  it('block by key removes the key approve rule', () => {
    const engine = makeEngine({ mode: 'allowlist' });
    engine.approve(keyRule(A));
    engine.approve(addressRule('toq://*/alice'));
    engine.block(keyRule(A));
    expect(engine.listApproved()).toEqual([addressRule('toq://*/alice')]);
    expect(engine.listBlocked()).toEqual([keyRule(KEY_A)]);
    // Unblocking does not bring the approval back.
    expect(engine.unblock(keyRule(A))).toBe(true);
    expect(engine.check({ publicKey: A, address: ADDR }).verdict).toBe('reject');
  });

  it('block by address removes nothing (block still wins at check time)', () => {
    const engine = makeEngine({ mode: 'allowlist' });
    engine.approve(keyRule(A));
    engine.approve(addressRule('toq://agents.example.org/*'));
    engine.block(addressRule('toq://agents.example.org/*'));
    expect(engine.listApproved()).toHaveLength(2);
    expect(engine.check({ publicKey: A, address: ADDR })).toMatchObject({ verdict: 'reject', reason: 'blocked-address' });
    expect(engine.check({ publicKey: A, address: 'toq://other.example/alice' }).verdict).toBe('accept');
  });

  it('approving after blocking keeps both; block wins', () => {
    const engine = makeEngine({ mode: 'open' });
    engine.block(keyRule(A));
    engine.approve(keyRule(A));
    expect(engine.listApproved()).toEqual([keyRule(KEY_A)]);
    expect(engine.check({ publicKey: A, address: ADDR }).reason).toBe('blocked-key');
  });

  it('does not store duplicates; revoke and unblock report whether a rule existed', () => {
    const engine = makeEngine();
    engine.approve(keyRule(A));
    engine.approve(keyRule(KEY_A));
    engine.approve(addressRule('x/*'));
    engine.approve(addressRule('x/*'));
    expect(engine.listApproved()).toHaveLength(2);
    expect(engine.revoke(addressRule('x/*'))).toBe(true);
    expect(engine.revoke(addressRule('x/*'))).toBe(false);
    expect(engine.revoke(keyRule(A))).toBe(true);
    expect(engine.check({ publicKey: A, address: ADDR }).verdict).toBe('pending');
    engine.block(addressRule('toq://*'));
    engine.block(addressRule('toq://*'));
    expect(engine.listBlocked()).toHaveLength(1);
    expect(engine.unblock(addressRule('*'))).toBe(false);
    expect(engine.unblock(addressRule('toq://*'))).toBe(true);
  });

  it('key rules compare bytes, whatever spelling they came in', () => {
    const engine = makeEngine({ mode: 'allowlist' });
    engine.approve({ type: 'key', value: KEY_A.slice('ed25519:'.length) });
    expect(engine.listApproved()).toEqual([{ type: 'key', value: KEY_A }]);
    expect(engine.check({ publicKey: A, address: ADDR }).verdict).toBe('accept');
  });

  it('refuses malformed rules and keys as misuse', () => {
    const engine = makeEngine();
    expect(() => engine.approve({ type: 'key', value: 'ed25519:abc' })).toThrow(RangeError);
    expect(() => engine.approve({ type: 'key', value: `ed25519:${encodeBase64(new Uint8Array(31))}` })).toThrow(
      RangeError,
    );
    // Non-canonical trailing bits: same bytes as KEY_A's prefix would decode, but not canonical text.
    expect(() => engine.approve({ type: 'key', value: KEY_A.replace('1w=', '1x=') })).toThrow(RangeError);
    expect(() => engine.approve({ type: 'address', value: '' })).toThrow(RangeError);
    expect(() => engine.approve({ type: 'peer', value: 'x' } as unknown as PolicyRule)).toThrow(RangeError);
    expect(() => engine.check({ publicKey: new Uint8Array(31), address: ADDR })).toThrow(RangeError);
  });

  it('an unverified address approve rule is reported, a verified one accepts', () => {
    const engine = makeEngine({ mode: 'allowlist' });
    engine.approve(addressRule('toq://agents.example.org/*'));
    const unverified = engine.check({ publicKey: B, address: ADDR });
    expect(unverified).toMatchObject({ verdict: 'reject', reason: 'mode-allowlist' });
    expect(unverified.unverifiedAddressRule).toEqual(addressRule('toq://agents.example.org/*'));
    expect(engine.check({ publicKey: B, address: ADDR, addressVerified: true })).toMatchObject({
      verdict: 'accept',
      reason: 'approved-address',
      rule: addressRule('toq://agents.example.org/*'),
    });
  });
});

describe('reply grants (DESIGN §4)', () => {
  it('are scoped to key and thread and expire', () => {
    const clock = { t: 100 };
    const engine = makeEngine({ mode: 'allowlist' }, clock);
    engine.grantReply({ publicKey: A, threadId: 'thread-1', expiresAtMs: 200 });
    expect(engine.check({ publicKey: A, address: ADDR })).toMatchObject({ verdict: 'reply-only', reason: 'reply-grant' });
    expect(engine.isReplyAllowed(A, 'thread-1')).toBe(true);
    expect(engine.isReplyAllowed(KEY_A, 'thread-1')).toBe(true);
    expect(engine.isReplyAllowed(A, 'thread-2')).toBe(false);
    expect(engine.isReplyAllowed(B, 'thread-1')).toBe(false);
    clock.t = 199;
    expect(engine.isReplyAllowed(A, 'thread-1')).toBe(true);
    clock.t = 200;
    expect(engine.isReplyAllowed(A, 'thread-1')).toBe(false);
    expect(engine.check({ publicKey: A, address: ADDR }).verdict).toBe('reject');
  });

  it('a repeat grant extends the expiry without adding an entry', () => {
    const clock = { t: 100 };
    const engine = makeEngine({ mode: 'allowlist' }, clock);
    engine.grantReply({ publicKey: A, threadId: 't', expiresAtMs: 150 });
    engine.grantReply({ publicKey: A, threadId: 't', expiresAtMs: 500 });
    expect(engine.listReplyGrants()).toEqual([{ publicKey: KEY_A, threadId: 't', expiresAtMs: 500 }]);
    clock.t = 300;
    expect(engine.isReplyAllowed(A, 't')).toBe(true);
  });

  it('revokeReply ends a grant; pruneExpired drops expired ones', () => {
    const clock = { t: 0 };
    const engine = makeEngine({ mode: 'allowlist' }, clock);
    engine.grantReply({ publicKey: A, threadId: 't1', expiresAtMs: 10 });
    engine.grantReply({ publicKey: A, threadId: 't2', expiresAtMs: 20 });
    engine.grantReply({ publicKey: B, threadId: 't1', expiresAtMs: 30 });
    expect(engine.revokeReply(A, 't2')).toBe(true);
    expect(engine.revokeReply(A, 't2')).toBe(false);
    clock.t = 25;
    expect(engine.pruneExpired()).toBe(1);
    expect(engine.listReplyGrants()).toEqual([{ publicKey: KEY_B, threadId: 't1', expiresAtMs: 30 }]);
  });

  it('stay bounded: expired grants go first, then the oldest', () => {
    const clock = { t: 0 };
    const engine = makeEngine({ mode: 'allowlist', maxReplyGrants: 3 }, clock);
    engine.grantReply({ publicKey: A, threadId: 'old-expiring', expiresAtMs: 5 });
    engine.grantReply({ publicKey: A, threadId: 'a2', expiresAtMs: 100 });
    engine.grantReply({ publicKey: B, threadId: 'b1', expiresAtMs: 100 });
    clock.t = 10;
    engine.grantReply({ publicKey: B, threadId: 'b2', expiresAtMs: 100 });
    expect(engine.listReplyGrants().map((g) => g.threadId).sort()).toEqual(['a2', 'b1', 'b2']);
    engine.grantReply({ publicKey: B, threadId: 'b3', expiresAtMs: 100 });
    expect(engine.listReplyGrants().map((g) => g.threadId).sort()).toEqual(['b1', 'b2', 'b3']);
    expect(engine.hasReplyGrant(A)).toBe(false);
  });

  it('refuses bad grants as misuse', () => {
    const engine = makeEngine();
    expect(() => engine.grantReply({ publicKey: A, threadId: '', expiresAtMs: 1 })).toThrow(RangeError);
    expect(() => engine.grantReply({ publicKey: A, threadId: 't', expiresAtMs: Number.NaN })).toThrow(RangeError);
    expect(() => engine.grantReply({ publicKey: 'nope', threadId: 't', expiresAtMs: 1 })).toThrow(RangeError);
  });
});

describe('state export/import', () => {
  it('round-trips through JSON text', () => {
    const clock = { t: 1000 };
    const engine = makeEngine({ mode: 'allowlist' }, clock);
    engine.approve(keyRule(A));
    engine.approve(addressRule('toq://*/bob'));
    engine.block(keyRule(fillerKey(7)));
    engine.block(addressRule('toq://evil.example/*'));
    engine.addPending(B, 'toq://b.example/b');
    engine.grantReply({ publicKey: B, threadId: 'thr', expiresAtMs: 5000 });
    engine.grantReply({ publicKey: B, threadId: 'gone', expiresAtMs: 500 });
    const text = JSON.stringify(engine);
    const state = JSON.parse(text) as unknown;
    expect(state).toEqual({
      approved: [keyRule(KEY_A), addressRule('toq://*/bob')],
      blocked: [keyRule(fillerKey(7)), addressRule('toq://evil.example/*')],
      pending: [{ publicKey: KEY_B, address: 'toq://b.example/b', requestedAtMs: 1000 }],
      replyGrants: [{ publicKey: KEY_B, threadId: 'thr', expiresAtMs: 5000 }],
    });
    const copy = PolicyEngine.fromJSON(state, { mode: 'allowlist' }, { now: () => clock.t });
    expect(copy.loadWarnings).toEqual([]);
    expect(JSON.stringify(copy)).toBe(text);
    expect(copy.isReplyAllowed(B, 'thr')).toBe(true);
    expect(copy.check({ publicKey: A, address: ADDR }).verdict).toBe('accept');
  });

  it('skips malformed entries with a warning, like the reference loader', () => {
    const engine = PolicyEngine.fromJSON(
      {
        approved: [{ type: 'key', value: 'ed25519:bad' }, { type: 'address', value: 'toq://*/ok' }, 'junk', null],
        blocked: [{ type: 'group', value: 'x' }, { type: 'address', value: '' }],
        pending: [{ publicKey: KEY_A, address: ADDR }, { publicKey: KEY_B, address: ADDR, requestedAtMs: 3 }],
        replyGrants: [{ publicKey: KEY_A, threadId: '', expiresAtMs: 9 }],
      },
      { mode: 'approval' },
      { now: () => 0 },
    );
    expect(engine.listApproved()).toEqual([addressRule('toq://*/ok')]);
    expect(engine.listBlocked()).toEqual([]);
    expect(engine.listPending()).toEqual([{ publicKey: KEY_B, address: ADDR, requestedAtMs: 3 }]);
    expect(engine.listReplyGrants()).toEqual([]);
    expect(engine.loadWarnings).toHaveLength(7);
  });

  it('tolerates missing arrays and refuses a non-object', () => {
    expect(PolicyEngine.fromJSON({}, { mode: 'open' }, { now: () => 0 }).toJSON()).toEqual({
      approved: [],
      blocked: [],
      pending: [],
      replyGrants: [],
    });
    expect(() => PolicyEngine.fromJSON(null, { mode: 'open' }, { now: () => 0 })).toThrow(TypeError);
    expect(() => PolicyEngine.fromJSON([], { mode: 'open' }, { now: () => 0 })).toThrow(TypeError);
  });
});
