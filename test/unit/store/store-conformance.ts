// One GatewayStore conformance suite, run against every implementation (the js-libp2p
// compliance-suite habit): the in-memory store used by unit tests must behave like the SQLite one.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GatewayStore } from '../../../src/store/gateway-store.js';
import type { InboundRecord } from '../../../src/store/inbox-record.js';
import type { NewOutboxEntry } from '../../../src/store/outbox-record.js';
import { StoreError } from '../../../src/store/store-error.js';

export interface StoreHarness {
  readonly store: GatewayStore;
  /** Closes and removes whatever the harness created. */
  cleanup(): void;
}

const KEY_A = 'ed25519:' + 'A'.repeat(43) + '=';
const KEY_B = 'ed25519:' + 'B'.repeat(43) + '=';

export function outboxEntry(id: string, overrides: Partial<NewOutboxEntry> = {}): NewOutboxEntry {
  return {
    id,
    agent: 'alice',
    to: 'toq://bob.example/bob',
    type: 'message.send',
    thread_id: 'thread-1',
    reply_to: null,
    content_type: 'application/json',
    body: '{"text":"hi","n":2.0,"big":18446744073709551616}',
    createdAtMs: 1_000,
    nextAttemptAtMs: 1_000,
    expiresAtMs: 1_000 + 86_400_000,
    ...overrides,
  };
}

export function inbound(id: string, overrides: Partial<InboundRecord> = {}): InboundRecord {
  return {
    id,
    agent: 'alice',
    type: 'message.send',
    from: 'toq://bob.example/bob',
    peerKey: KEY_A,
    thread_id: 't',
    reply_to: null,
    content_type: 'application/json',
    body: '{"x":1.50}',
    receivedAtMs: 5_000,
    ...overrides,
  };
}

/** The error `fn` throws; fails the test when it returns. */
export function thrownBy(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

export function runStoreConformance(name: string, open: () => StoreHarness): void {
  describe(`GatewayStore conformance: ${name}`, () => {
    let harness: StoreHarness;
    let store: GatewayStore;
    beforeEach(() => {
      harness = open();
      store = harness.store;
    });
    afterEach(() => harness.cleanup());

    describe('outbox', () => {
      it('stores an entry as queued with every field, the body text byte for byte', () => {
        const entry = store.enqueueOutbox(outboxEntry('m1', { reply_to: 'r-1', thread_id: null, content_type: null }));
        expect(entry).toEqual({
          ...outboxEntry('m1', { reply_to: 'r-1', thread_id: null, content_type: null }),
          status: 'queued',
          attempts: 0,
          lastError: null,
          deliveredAtMs: null,
          finishedAtMs: null,
        });
        expect(store.getOutbox('m1')).toEqual(entry);
        expect(store.getOutbox('m1')!.body).toBe('{"text":"hi","n":2.0,"big":18446744073709551616}');
        expect(store.getOutbox('nope')).toBeUndefined();
      });

      it('stores a claimed entry as sending with one attempt, which claimDue leaves alone and counts as busy', () => {
        const { claimed: _claimed, ...fields } = outboxEntry('m1', { claimed: true });
        expect(store.enqueueOutbox(outboxEntry('m1', { claimed: true }))).toEqual({ ...fields, status: 'sending', attempts: 1, lastError: null, deliveredAtMs: null, finishedAtMs: null });
        store.enqueueOutbox(outboxEntry('m2'));
        expect(store.claimDue(10_000, 10, { maxPerPeer: 1 })).toEqual([]);
        expect(store.resetSending()).toBe(1);
        expect(store.getOutbox('m1')).toMatchObject({ status: 'queued', attempts: 1 });
      });

      it('tells whether a recipient has queued entries, due or not', () => {
        expect(store.hasQueued('toq://bob.example/bob')).toBe(false);
        store.enqueueOutbox(outboxEntry('m1', { claimed: true }));
        expect(store.hasQueued('toq://bob.example/bob')).toBe(false);
        store.enqueueOutbox(outboxEntry('m2', { nextAttemptAtMs: 99_999_999 }));
        expect(store.hasQueued('toq://bob.example/bob')).toBe(true);
        expect(store.hasQueued('toq://carol.example/carol')).toBe(false);
      });

      it('keeps a body-less entry as null', () => {
        store.enqueueOutbox(outboxEntry('m1', { body: null, type: 'thread.close' }));
        expect(store.getOutbox('m1')).toMatchObject({ body: null, type: 'thread.close' });
      });

      it('refuses a second entry with the same id', () => {
        store.enqueueOutbox(outboxEntry('m1'));
        expect(thrownBy(() => store.enqueueOutbox(outboxEntry('m1', { to: 'toq://other/x' })))).toMatchObject({ name: 'StoreError', code: 'store_duplicate_id' });
        expect(store.listOutbox()).toHaveLength(1);
      });

      it('lists newest first, filtered by status, recipient and agent, up to the limit', () => {
        store.enqueueOutbox(outboxEntry('m1'));
        store.enqueueOutbox(outboxEntry('m2', { to: 'toq://carol.example/carol' }));
        store.enqueueOutbox(outboxEntry('m3', { agent: 'helper' }));
        store.updateOutbox('m1', { status: 'failed', finishedAtMs: 2_000 });
        expect(store.listOutbox().map((e) => e.id)).toEqual(['m3', 'm2', 'm1']);
        expect(store.listOutbox({ limit: 2 }).map((e) => e.id)).toEqual(['m3', 'm2']);
        expect(store.listOutbox({ status: 'queued' }).map((e) => e.id)).toEqual(['m3', 'm2']);
        expect(store.listOutbox({ to: 'toq://bob.example/bob' }).map((e) => e.id)).toEqual(['m3', 'm1']);
        expect(store.listOutbox({ agent: 'helper' }).map((e) => e.id)).toEqual(['m3']);
        expect(() => store.listOutbox({ limit: 0 })).toThrow(RangeError);
      });

      it('claims due entries once, oldest due first then in insertion order, counting the attempt', () => {
        store.enqueueOutbox(outboxEntry('late', { nextAttemptAtMs: 3_000 }));
        store.enqueueOutbox(outboxEntry('b', { nextAttemptAtMs: 2_000, to: 'toq://p/1' }));
        store.enqueueOutbox(outboxEntry('a', { nextAttemptAtMs: 1_500, to: 'toq://p/2' }));
        store.enqueueOutbox(outboxEntry('c', { nextAttemptAtMs: 2_000, to: 'toq://p/3' }));
        const claimed = store.claimDue(2_000, 10, { maxPerPeer: 16 });
        expect(claimed.map((e) => e.id)).toEqual(['a', 'b', 'c']);
        expect(claimed.every((e) => e.status === 'sending' && e.attempts === 1)).toBe(true);
        expect(store.getOutbox('b')).toMatchObject({ status: 'sending', attempts: 1 });
        expect(store.getOutbox('late')).toMatchObject({ status: 'queued', attempts: 0 });
        expect(store.claimDue(2_000, 10, { maxPerPeer: 16 })).toEqual([]);
        expect(store.claimDue(3_000, 10, { maxPerPeer: 16 }).map((e) => e.id)).toEqual(['late']);
      });

      it('claims at most `limit` entries', () => {
        for (let i = 0; i < 5; i++) store.enqueueOutbox(outboxEntry(`m${i}`, { to: `toq://p/${i}` }));
        expect(store.claimDue(1_000, 2, { maxPerPeer: 16 }).map((e) => e.id)).toEqual(['m0', 'm1']);
        expect(store.claimDue(1_000, 10, { maxPerPeer: 16 }).map((e) => e.id)).toEqual(['m2', 'm3', 'm4']);
        expect(() => store.claimDue(1_000, 0, { maxPerPeer: 1 })).toThrow(RangeError);
        expect(() => store.claimDue(1_000, 1, { maxPerPeer: 0 })).toThrow(RangeError);
      });

      it('never has more than maxPerPeer sending to one recipient, counting those already sending', () => {
        for (let i = 0; i < 4; i++) store.enqueueOutbox(outboxEntry(`bob${i}`));
        store.enqueueOutbox(outboxEntry('carol0', { to: 'toq://carol/carol' }));
        expect(store.claimDue(1_000, 10, { maxPerPeer: 2 }).map((e) => e.id)).toEqual(['bob0', 'bob1', 'carol0']);
        expect(store.claimDue(1_000, 10, { maxPerPeer: 2 })).toEqual([]);
        store.updateOutbox('bob0', { status: 'delivered', deliveredAtMs: 1_100, finishedAtMs: 1_100 });
        expect(store.claimDue(1_000, 10, { maxPerPeer: 2 }).map((e) => e.id)).toEqual(['bob2']);
      });

      it('reports the next due time among recipients that have room', () => {
        expect(store.nextDueAt({ maxPerPeer: 1 })).toBeUndefined();
        store.enqueueOutbox(outboxEntry('bob0', { nextAttemptAtMs: 500 }));
        store.enqueueOutbox(outboxEntry('bob1', { nextAttemptAtMs: 700 }));
        store.enqueueOutbox(outboxEntry('carol', { to: 'toq://carol/carol', nextAttemptAtMs: 9_000 }));
        expect(store.nextDueAt({ maxPerPeer: 1 })).toBe(500);
        store.claimDue(600, 1, { maxPerPeer: 1 });
        // bob is at its limit: its queued entry does not count until a slot frees.
        expect(store.nextDueAt({ maxPerPeer: 1 })).toBe(9_000);
        expect(store.nextDueAt({ maxPerPeer: 2 })).toBe(700);
      });

      it('updates only from an expected status, changing only the given fields', () => {
        store.enqueueOutbox(outboxEntry('m1'));
        expect(store.updateOutbox('m1', { status: 'delivered' }, ['sending'])).toBeUndefined();
        expect(store.getOutbox('m1')!.status).toBe('queued');
        expect(store.updateOutbox('missing', { status: 'queued' })).toBeUndefined();
        store.claimDue(1_000, 1, { maxPerPeer: 1 });
        const retried = store.updateOutbox('m1', { status: 'queued', nextAttemptAtMs: 2_000, lastError: { code: 'ECONNREFUSED', message: 'refused' } }, ['sending']);
        expect(retried).toMatchObject({ status: 'queued', nextAttemptAtMs: 2_000, attempts: 1, lastError: { code: 'ECONNREFUSED', message: 'refused' }, expiresAtMs: 1_000 + 86_400_000 });
        const again = store.updateOutbox('m1', { status: 'queued', expiresAtMs: 5, attempts: 0 });
        expect(again).toMatchObject({ nextAttemptAtMs: 2_000, expiresAtMs: 5, attempts: 0, lastError: { code: 'ECONNREFUSED' } });
        const cleared = store.updateOutbox('m1', { status: 'delivered', lastError: null, deliveredAtMs: 3_000, finishedAtMs: 3_000 });
        expect(cleared).toMatchObject({ status: 'delivered', lastError: null, deliveredAtMs: 3_000, finishedAtMs: 3_000 });
        expect(store.getOutbox('m1')).toEqual(cleared);
        expect(store.updateOutbox('m1', { status: 'queued', finishedAtMs: null })).toMatchObject({ finishedAtMs: null, deliveredAtMs: 3_000 });
      });

      it('counts messages_out once per entry reaching delivered', () => {
        store.enqueueOutbox(outboxEntry('m1'));
        store.enqueueOutbox(outboxEntry('m2'));
        store.updateOutbox('m1', { status: 'delivered' });
        store.updateOutbox('m1', { status: 'delivered' });
        store.updateOutbox('m2', { status: 'failed' });
        expect(store.getCounter('messages_out')).toBe(1);
      });

      it('defers the queued entries of one recipient that are due earlier', () => {
        store.enqueueOutbox(outboxEntry('b1', { nextAttemptAtMs: 1_000 }));
        store.enqueueOutbox(outboxEntry('b2', { nextAttemptAtMs: 9_000 }));
        store.enqueueOutbox(outboxEntry('b3', { nextAttemptAtMs: 1_000 }));
        store.enqueueOutbox(outboxEntry('c1', { to: 'toq://carol/carol', nextAttemptAtMs: 1_000 }));
        store.claimDue(1_000, 1, { maxPerPeer: 16 }); // b1 is sending: not moved
        expect(store.deferQueued('toq://bob.example/bob', 5_000)).toBe(1);
        expect(store.getOutbox('b1')!.nextAttemptAtMs).toBe(1_000);
        expect(store.getOutbox('b2')!.nextAttemptAtMs).toBe(9_000);
        expect(store.getOutbox('b3')!.nextAttemptAtMs).toBe(5_000);
        expect(store.getOutbox('c1')!.nextAttemptAtMs).toBe(1_000);
      });

      it('puts entries left sending back in the queue', () => {
        store.enqueueOutbox(outboxEntry('m1'));
        store.enqueueOutbox(outboxEntry('m2'));
        store.enqueueOutbox(outboxEntry('m3'));
        store.claimDue(1_000, 2, { maxPerPeer: 16 });
        store.updateOutbox('m2', { status: 'delivered' });
        expect(store.resetSending()).toBe(1);
        expect(store.getOutbox('m1')).toMatchObject({ status: 'queued', attempts: 1 });
        expect(store.getOutbox('m2')!.status).toBe('delivered');
        expect(store.resetSending()).toBe(0);
      });
    });

    describe('inbound history and seen ids', () => {
      it('records a message and its seen id once; a repeat writes nothing', () => {
        expect(store.recordInbound(inbound('m1'))).toBe(true);
        expect(store.hasSeen(KEY_A, 'm1')).toBe(true);
        expect(store.recordInbound(inbound('m1', { body: '{"other":true}', receivedAtMs: 6_000 }))).toBe(false);
        expect(store.history({ limit: 10 })).toEqual([inbound('m1')]);
        expect(store.getCounter('messages_in')).toBe(1);
      });

      it('scopes seen ids by the sender key', () => {
        expect(store.recordInbound(inbound('m1'))).toBe(true);
        expect(store.recordInbound(inbound('m1', { peerKey: KEY_B }))).toBe(true);
        expect(store.hasSeen(KEY_B, 'm1')).toBe(true);
        expect(store.hasSeen(KEY_B, 'm2')).toBe(false);
        expect(store.history({ limit: 10 })).toHaveLength(2);
      });

      it('does not record history for an id already remembered (e.g. after a seen-only write)', () => {
        store.rememberSeen(KEY_A, 'm1', 1_000);
        store.rememberSeen(KEY_A, 'm1', 2_000);
        expect(store.recordInbound(inbound('m1'))).toBe(false);
        expect(store.history({ limit: 10 })).toEqual([]);
      });

      it('answers history newest N, oldest first, filtered by agent, from substring and since', () => {
        store.recordInbound(inbound('1', { receivedAtMs: 100, from: 'toq://bob.example/bob' }));
        store.recordInbound(inbound('2', { receivedAtMs: 200, from: 'toq://carol.example/carol', agent: 'helper' }));
        store.recordInbound(inbound('3', { receivedAtMs: 300, from: 'toq://bob.example/bob', type: 'thread.close', body: null }));
        store.recordInbound(inbound('4', { receivedAtMs: 400, from: 'toq://Bob.example/x' }));
        const ids = (q: Parameters<GatewayStore['history']>[0]): string[] => store.history(q).map((m) => m.id);
        expect(ids({ limit: 10 })).toEqual(['1', '2', '3', '4']);
        expect(ids({ limit: 2 })).toEqual(['3', '4']);
        expect(ids({ limit: 10, agent: 'alice' })).toEqual(['1', '3', '4']);
        expect(ids({ limit: 10, from: 'bob.example' })).toEqual(['1', '3']);
        expect(ids({ limit: 10, from: 'Bob' })).toEqual(['4']);
        expect(ids({ limit: 10, sinceMs: 200 })).toEqual(['2', '3', '4']);
        expect(ids({ limit: 1, agent: 'alice', sinceMs: 100, from: 'bob' })).toEqual(['3']);
        expect(store.history({ limit: 10 })[2]).toMatchObject({ type: 'thread.close', body: null });
        expect(() => store.history({ limit: 0 })).toThrow(RangeError);
      });
    });

    describe('peers, policy, counters', () => {
      it('keeps first_seen and refreshes address and last_seen', () => {
        store.upsertPeer(KEY_B, 'toq://b/b', 10);
        store.upsertPeer(KEY_A, 'toq://a/a', 20);
        store.upsertPeer(KEY_B, 'toq://b2/b', 30);
        expect(store.listPeers()).toEqual([
          { publicKey: KEY_A, address: 'toq://a/a', firstSeenAtMs: 20, lastSeenAtMs: 20 },
          { publicKey: KEY_B, address: 'toq://b2/b', firstSeenAtMs: 10, lastSeenAtMs: 30 },
        ]);
      });

      it('saves and loads the policy document without aliasing it', () => {
        expect(store.loadPolicy()).toBeUndefined();
        const state = {
          approved: [{ type: 'key' as const, value: KEY_A }],
          blocked: [{ type: 'address' as const, value: 'toq://*/spam' }],
          pending: [{ publicKey: KEY_B, address: 'toq://b/b', requestedAtMs: 123 }],
          replyGrants: [{ publicKey: KEY_A, threadId: 't', expiresAtMs: 456 }],
        };
        store.savePolicy(state);
        state.approved.push({ type: 'key', value: KEY_B });
        const loaded = store.loadPolicy()!;
        expect(loaded.approved).toHaveLength(1);
        expect(loaded).toEqual({ ...state, approved: [{ type: 'key', value: KEY_A }] });
        store.savePolicy({ approved: [], blocked: [], pending: [], replyGrants: [] });
        expect(store.loadPolicy()).toEqual({ approved: [], blocked: [], pending: [], replyGrants: [] });
      });

      it('counts', () => {
        expect(store.getCounter('messages_in')).toBe(0);
        expect(store.incrementCounter('messages_in')).toBe(1);
        expect(store.incrementCounter('messages_in', 5)).toBe(6);
        expect(store.getCounter('messages_in')).toBe(6);
        expect(store.getCounter('messages_out')).toBe(0);
      });
    });

    describe('retention', () => {
      it('prunes by age, never queued or sending entries nor seen ids younger than outbox_ttl', () => {
        const day = 86_400_000;
        const now = 10 * day;
        store.recordInbound(inbound('old', { receivedAtMs: now - 3 * day }));
        store.recordInbound(inbound('new', { receivedAtMs: now - 1_000 }));
        store.rememberSeen(KEY_B, 'half-day', now - day / 2);
        store.enqueueOutbox(outboxEntry('queued-old', { createdAtMs: 0, nextAttemptAtMs: 0 }));
        store.enqueueOutbox(outboxEntry('sending-old', { createdAtMs: 0, nextAttemptAtMs: 0 }));
        store.claimDue(0, 10, { maxPerPeer: 16 });
        store.resetSending();
        store.claimDue(0, 1, { maxPerPeer: 16 }); // 'queued-old' is sending, 'sending-old' queued
        store.enqueueOutbox(outboxEntry('done-old'));
        store.updateOutbox('done-old', { status: 'delivered', finishedAtMs: now - 8 * day });
        store.enqueueOutbox(outboxEntry('failed-new'));
        store.updateOutbox('failed-new', { status: 'failed', finishedAtMs: now - 1_000 });

        // Seen ids "older than 1 hour" requested, but outbox_ttl (1 day) protects the half-day one.
        const result = store.prune({ nowMs: now, historyOlderThanMs: 2 * day, seenOlderThanMs: 3_600_000, finishedOutboxOlderThanMs: 7 * day, outboxTtlMs: day });
        expect(result).toEqual({ history: 1, seen: 1, outbox: 1 });
        expect(store.history({ limit: 10 }).map((m) => m.id)).toEqual(['new']);
        expect(store.hasSeen(KEY_A, 'old')).toBe(false);
        expect(store.hasSeen(KEY_A, 'new')).toBe(true);
        expect(store.hasSeen(KEY_B, 'half-day')).toBe(true);
        expect(store.listOutbox().map((e) => e.id).sort()).toEqual(['failed-new', 'queued-old', 'sending-old']);

        // Nothing asked, nothing removed.
        expect(store.prune({ nowMs: now * 10, outboxTtlMs: day })).toEqual({ history: 0, seen: 0, outbox: 0 });
      });
    });

    it('refuses every call after close with store_closed', () => {
      store.close();
      expect(thrownBy(() => store.getOutbox('x'))).toMatchObject({ code: 'store_closed' });
      expect(thrownBy(() => store.recordInbound(inbound('x')))).toBeInstanceOf(StoreError);
    });
  });
}
