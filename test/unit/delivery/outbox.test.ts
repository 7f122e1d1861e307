// The outbox over the in-memory store, with an injected clock and timers and a scripted `send`
// standing in for the remote peer (the outside world): backoff schedule, TTL, permanent vs
// retryable answers, waiting, cancel, retry, restart, pipelining limits.

import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Outbox, type OutboxOptions, type OutboxTimers } from '../../../src/delivery/outbox.js';
import { createEnvelope, type Envelope } from '../../../src/protocol/envelope.js';
import { generateIdentity } from '../../../src/protocol/ed25519.js';
import { GatewayError, ProtocolError, RejectedError, TimeoutError } from '../../../src/protocol/errors.js';
import { JsonNumber, isJsonObject } from '../../../src/protocol/json-value.js';
import { MemoryStore } from '../../../src/store/memory-store.js';
import type { SendFields, SendOutcome } from '../../../src/transport/toq-session.js';

const BOB = 'toq://bob.example/bob';
const CAROL = 'toq://carol.example/carol';
const T0 = 1_700_000_000_000;
const log = pino({ level: 'silent' });

/** Fake clock + timers: time moves only in advance(), which fires due timers in order. */
class FakeTime implements OutboxTimers {
  now = T0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.now + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  get pending(): number {
    return this.timers.size;
  }

  async advance(ms: number): Promise<void> {
    const target = this.now + ms;
    for (;;) {
      await settle();
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= target && (next === undefined || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.now = Math.max(this.now, next[1].at);
      next[1].fn();
    }
    this.now = target;
    await settle();
  }
}

/** Lets queued microtasks and promise chains run (the outbox and the fake peer are async). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

type Answer = 'ack' | { code: string; message?: string } | Error | 'hang';

interface Call {
  readonly at: number;
  readonly target: string;
  readonly fields: SendFields;
  readonly fromAgent: string | undefined;
  /** For 'hang' answers: settle it later. */
  answer(a: Exclude<Answer, 'hang'>): void;
}

const peerIdentity = generateIdentity();

function envelopeFor(type: 'message.ack' | 'system.error', body: Record<string, string>): Envelope {
  return createEnvelope({ type, from: BOB, to: 'toq://localhost/alice', sequence: 2n, body }, peerIdentity, () => T0);
}

/** The remote peer as a script: answers are taken in call order, then `fallback`. */
class ScriptedPeer {
  readonly calls: Call[] = [];
  constructor(
    private readonly time: FakeTime,
    private readonly script: Answer[] = [],
    private readonly fallback: Answer = 'ack',
  ) {}

  readonly send = (target: string, fields: SendFields, options: { fromAgent?: string }): Promise<SendOutcome> =>
    new Promise<SendOutcome>((resolve, reject) => {
      const reply = (a: Exclude<Answer, 'hang'>): void => {
        const id = fields.id!;
        if (a instanceof Error) reject(a);
        else if (a === 'ack') resolve({ status: 'acked', id, ack: envelopeFor('message.ack', { ack_id: id }) });
        else resolve({ status: 'error', id, code: a.code, message: a.message ?? a.code, error: envelopeFor('system.error', { code: a.code, message: a.message ?? '', related_id: id }) });
      };
      this.calls.push({ at: this.time.now - T0, target, fields, fromAgent: options.fromAgent, answer: reply });
      const answer = this.script.length > 0 ? this.script.shift()! : this.fallback;
      if (answer !== 'hang') reply(answer);
    });

  callsFor(id: string): Call[] {
    return this.calls.filter((c) => c.fields.id === id);
  }
}

function refused(): Error {
  return Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9009'), { code: 'ECONNREFUSED' });
}

const outboxes: Array<{ outbox: Outbox; time: FakeTime }> = [];

function setup(script: Answer[] = [], fallback: Answer = 'ack', options: OutboxOptions = {}, store = new MemoryStore()) {
  const time = new FakeTime();
  const peer = new ScriptedPeer(time, script, fallback);
  const outbox = new Outbox({ store, send: peer.send, now: () => time.now, log, timers: time }, options);
  outboxes.push({ outbox, time });
  outbox.start();
  return { time, peer, outbox, store };
}

/** stop() waits up to stopDrainMs (on the fake clock) for attempts still out. */
async function stopped(outbox: Outbox, time: FakeTime): Promise<void> {
  const stopping = outbox.stop();
  await time.advance(5_000);
  await stopping;
}

afterEach(async () => {
  for (const { outbox, time } of outboxes.splice(0)) await stopped(outbox, time);
});

describe('Outbox: enqueue and first attempt', () => {
  it('commits before answering queued, then sends at once with the same id and lossless body', async () => {
    const { peer, outbox, store } = setup();
    const result = outbox.enqueue({ agent: 'alice', to: 'toq://bob.example:9009/bob', body: { text: 'hi', n: new JsonNumber('2.0') }, content_type: 'application/json' });
    expect(result.status).toBe('queued');
    expect(result.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(result.thread_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.timestamp).toBe('2023-11-14T22:13:20Z');
    // Committed before enqueue returned, claimed in the same insert (the recipient is idle), and
    // its attempt already started.
    expect(store.getOutbox(result.id)).toMatchObject({ status: 'sending', attempts: 1, to: BOB, body: '{"n":2.0,"text":"hi"}', thread_id: result.thread_id });
    expect(peer.calls).toHaveLength(1);
    await settle();
    const call = peer.calls[0]!;
    expect(call).toMatchObject({ at: 0, target: BOB, fromAgent: 'alice' });
    expect(call.fields).toMatchObject({ id: result.id, type: 'message.send', thread_id: result.thread_id, content_type: 'application/json' });
    const body = call.fields.body;
    expect(isJsonObject(body) && body['n'] instanceof JsonNumber && body['n'].lexeme).toBe('2.0');
    expect(store.getOutbox(result.id)).toMatchObject({ status: 'delivered', attempts: 1, deliveredAtMs: T0, lastError: null });
    expect(store.getCounter('messages_out')).toBe(1);
  });

  it('keeps given ids and thread ids, and sends body-less thread.close without a body', async () => {
    const { peer, outbox } = setup();
    const result = outbox.enqueue({ agent: 'alice', to: BOB, type: 'thread.close', thread_id: 'th-9', id: '6b3f1a52-8a55-4f0e-9d6e-0d1b1d7b6a10', reply_to: 'r' });
    expect(result).toMatchObject({ id: '6b3f1a52-8a55-4f0e-9d6e-0d1b1d7b6a10', thread_id: 'th-9' });
    await settle();
    expect(peer.calls[0]!.fields).toEqual({ id: '6b3f1a52-8a55-4f0e-9d6e-0d1b1d7b6a10', type: 'thread.close', thread_id: 'th-9', reply_to: 'r' });
  });

  it('refuses types nobody acks and malformed addresses before writing anything', () => {
    const { outbox, store } = setup();
    expect(() => outbox.enqueue({ agent: 'alice', to: BOB, type: 'system.heartbeat' })).toThrow(RangeError);
    expect(() => outbox.enqueue({ agent: 'alice', to: 'not an address' })).toThrow(ProtocolError);
    expect(store.listOutbox()).toEqual([]);
  });
});

describe('Outbox: retries', () => {
  it('backs off 1, 2, 4, 8, 16 s, then every 60 s, re-sending the same id each time', async () => {
    const { time, peer, outbox, store } = setup([], refused());
    const { id } = outbox.enqueue({ agent: 'alice', to: BOB, body: 'x' });
    await time.advance(200_000);
    expect(peer.calls.map((c) => c.at)).toEqual([0, 1_000, 3_000, 7_000, 15_000, 31_000, 91_000, 151_000]);
    expect(new Set(peer.calls.map((c) => c.fields.id))).toEqual(new Set([id]));
    expect(store.getOutbox(id)).toMatchObject({ status: 'queued', attempts: 8, nextAttemptAtMs: T0 + 211_000, lastError: { code: 'ECONNREFUSED' } });
  });

  it('becomes undeliverable with the last error once outbox_ttl has passed', async () => {
    const script: Answer[] = [refused(), new RejectedError('approval_pending', 'Connection pending approval by remote agent')];
    const { time, peer, outbox, store } = setup(script, new TimeoutError('ack', 10_000), { outboxTtlMs: 10_000 });
    const { id } = outbox.enqueue({ agent: 'alice', to: BOB });
    const waiting = outbox.waitForOutcome(id, { timeoutMs: 60_000 });
    await time.advance(30_000);
    // 0, +1 s, +2 s, +4 s, then the 8 s wait is cut to the expiry at 10 s: a last attempt there.
    expect(peer.calls.map((c) => c.at)).toEqual([0, 1_000, 3_000, 7_000, 10_000]);
    expect(store.getOutbox(id)).toMatchObject({ status: 'undeliverable', finishedAtMs: T0 + 10_000, lastError: { code: 'timeout', message: 'ack did not finish within 10000 ms' } });
    await expect(waiting).resolves.toMatchObject({ status: 'undeliverable', code: 'timeout' });
  });

  it('delivers on the attempt after a run of retryable failures', async () => {
    const { time, peer, outbox, store } = setup([refused(), new GatewayError('session_lost', 'closed before the ack'), { code: 'resource_exhausted' }]);
    const { id } = outbox.enqueue({ agent: 'alice', to: BOB });
    await time.advance(10_000);
    expect(peer.calls.map((c) => c.at)).toEqual([0, 1_000, 3_000, 7_000]);
    expect(store.getOutbox(id)).toMatchObject({ status: 'delivered', attempts: 4, deliveredAtMs: T0 + 7_000, lastError: null });
  });

  const permanent: Array<[string, Answer]> = [
    ['system.error approval_denied', { code: 'approval_denied' }],
    ['system.error blocked', { code: 'blocked' }],
    ['system.error invalid_envelope', { code: 'invalid_envelope' }],
    ['system.error executable_content_blocked', { code: 'executable_content_blocked' }],
    ['system.error message_too_large', { code: 'message_too_large' }],
    ['system.error ttl_expired', { code: 'ttl_expired' }],
    ['handshake blocked', new RejectedError('blocked', 'blocked')],
    ['handshake agent_unavailable (wrong agent name)', new RejectedError('agent_unavailable', "agent 'x' not found on this endpoint (this is 'y')")],
    ['handshake version_not_supported', new RejectedError('version_not_supported', 'no common version')],
    ['our frame over the cap', new ProtocolError('message_too_large', 'frame length 2000000 exceeds max 1048576')],
    ['our own misuse (unknown agent)', new RangeError('no hosted agent named "zed"')],
  ];
  for (const [name, answer] of permanent) {
    it(`fails for good after one attempt: ${name}`, async () => {
      const { time, peer, outbox, store } = setup([answer]);
      const { id } = outbox.enqueue({ agent: 'alice', to: BOB });
      const waiting = outbox.waitForOutcome(id, { timeoutMs: 1_000_000 });
      await time.advance(120_000);
      expect(peer.calls).toHaveLength(1);
      const entry = store.getOutbox(id)!;
      expect(entry.status).toBe('failed');
      const code = answer instanceof RangeError ? 'internal_error' : answer instanceof Error ? (answer as GatewayError).code : (answer as { code: string }).code;
      expect(entry.lastError?.code).toBe(code);
      await expect(waiting).resolves.toMatchObject({ status: 'failed', code });
    });
  }

  const retryable: Array<[string, Answer]> = [
    ['system.error resource_exhausted', { code: 'resource_exhausted' }],
    ['system.error from the future', { code: 'brand_new_code' }],
    ['handshake held for approval', new RejectedError('approval_pending', 'Connection pending approval by remote agent')],
    ['peer closed during setup', new RejectedError('closed', 'peer closed the connection during handshake')],
    ['ack timeout', new TimeoutError('ack', 10_000)],
    ['session lost after the write', new GatewayError('session_lost', 'closed before the ack')],
    ['connection refused', refused()],
    ['bad bytes during setup', new ProtocolError('invalid_signature', 'bad handshake signature')],
  ];
  for (const [name, answer] of retryable) {
    it(`retries after 1 s: ${name}`, async () => {
      const { time, peer, outbox, store } = setup([answer]);
      const { id } = outbox.enqueue({ agent: 'alice', to: BOB });
      await time.advance(999);
      expect(peer.calls).toHaveLength(1);
      expect(store.getOutbox(id)!.status).toBe('queued');
      await time.advance(1);
      expect(peer.calls.map((c) => c.at)).toEqual([0, 1_000]);
      expect(store.getOutbox(id)!.status).toBe('delivered');
    });
  }

  for (const code of ['duplicate_message', 'agent_unavailable']) {
    it(`counts system.error ${code} as delivered, keeping it as a note`, async () => {
      const { time, peer, outbox, store } = setup([{ code, message: 'local agent is not responding' }]);
      const { id } = outbox.enqueue({ agent: 'alice', to: BOB });
      await time.advance(120_000);
      expect(peer.calls).toHaveLength(1);
      expect(store.getOutbox(id)).toMatchObject({ status: 'delivered', lastError: { code } });
    });
  }

  it('holds the other queued messages of a peer that is down until the same retry, in order', async () => {
    const { time, peer, outbox } = setup([refused(), refused()]);
    const first = outbox.enqueue({ agent: 'alice', to: BOB, body: 1 });
    await time.advance(500);
    const second = outbox.enqueue({ agent: 'alice', to: BOB, body: 2 });
    await time.advance(5_000);
    // first fails at 0 (retry at 1000); second fails at 500 (retry at 1500) and moves first to 1500.
    expect(peer.calls.map((c) => [c.fields.id, c.at])).toEqual([
      [first.id, 0],
      [second.id, 500],
      [first.id, 1_500],
      [second.id, 1_500],
    ]);
  });

  it("aligns a peer's messages on the latest retry time, so they go out together and in order", async () => {
    const { time, peer, outbox } = setup([refused(), refused(), refused()]);
    const first = outbox.enqueue({ agent: 'alice', to: BOB, body: 1 });
    await time.advance(1_500); // first failed at 0 and 1000; its next try is at 3000
    const second = outbox.enqueue({ agent: 'alice', to: BOB, body: 2 });
    await time.advance(5_000);
    // second fails at 1500; alone it would retry at 2500, but bob is held until 3000.
    expect(peer.calls.map((c) => [c.fields.id, c.at])).toEqual([
      [first.id, 0],
      [first.id, 1_000],
      [second.id, 1_500],
      [first.id, 3_000],
      [second.id, 3_000],
    ]);
  });

  it('does not hold other messages for an error about one message', async () => {
    const { time, peer, outbox } = setup([{ code: 'resource_exhausted' }]);
    const first = outbox.enqueue({ agent: 'alice', to: BOB });
    await settle();
    const second = outbox.enqueue({ agent: 'alice', to: BOB });
    await time.advance(2_000);
    expect(peer.calls.map((c) => [c.fields.id, c.at])).toEqual([
      [first.id, 0],
      [second.id, 0],
      [first.id, 1_000],
    ]);
  });
});

describe('Outbox: waiting', () => {
  it('answers delivered when the ack comes', async () => {
    const { time, peer, outbox } = setup(['hang']);
    const { id } = outbox.enqueue({ agent: 'alice', to: BOB });
    const waiting = outbox.waitForOutcome(id, { timeoutMs: 30_000 });
    await time.advance(100);
    peer.calls[0]!.answer('ack');
    await expect(waiting).resolves.toMatchObject({ status: 'delivered', entry: { id, status: 'delivered' } });
  });

  it('times out leaving the entry queued with what the attempts met, and delivery goes on', async () => {
    const { time, peer, outbox, store } = setup([refused(), refused()]);
    const { id } = outbox.enqueue({ agent: 'alice', to: BOB });
    const waiting = outbox.waitForOutcome(id, { timeoutMs: 2_000 });
    await time.advance(2_000);
    await expect(waiting).resolves.toMatchObject({ status: 'timeout', entry: { status: 'queued', lastError: { code: 'ECONNREFUSED' } } });
    await time.advance(2_000);
    expect(peer.calls.map((c) => c.at)).toEqual([0, 1_000, 3_000]);
    expect(store.getOutbox(id)!.status).toBe('delivered');
    await expect(outbox.waitForOutcome(id, { timeoutMs: 1 })).resolves.toMatchObject({ status: 'delivered' });
  });

  it('with untilFirstFailure, answers at the first failed attempt (the reference answers not_reachable at once)', async () => {
    const { time, outbox, store } = setup([new RejectedError('approval_pending', 'Connection pending approval by remote agent')]);
    const { id } = outbox.enqueue({ agent: 'alice', to: BOB });
    const waiting = outbox.waitForOutcome(id, { timeoutMs: 30_000, untilFirstFailure: true });
    await time.advance(10);
    await expect(waiting).resolves.toMatchObject({ status: 'retrying', code: 'approval_pending', message: 'Connection pending approval by remote agent' });
    expect(store.getOutbox(id)!.status).toBe('queued');
  });

  it('rejects with the signal reason on abort, and not_found for an unknown id', async () => {
    const { outbox } = setup(['hang']);
    const { id } = outbox.enqueue({ agent: 'alice', to: BOB });
    const controller = new AbortController();
    const waiting = outbox.waitForOutcome(id, { timeoutMs: 30_000, signal: controller.signal });
    const reason = new Error('client went away');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    await expect(outbox.waitForOutcome('nope', { timeoutMs: 1 })).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('Outbox: cancel and retry', () => {
  it('cancels a queued entry: no more attempts, waiters hear canceled', async () => {
    const { time, peer, outbox, store } = setup([refused()]);
    const { id } = outbox.enqueue({ agent: 'alice', to: BOB });
    await time.advance(10);
    const waiting = outbox.waitForOutcome(id, { timeoutMs: 30_000 });
    expect(outbox.cancel(id)).toMatchObject({ status: 'canceled', finishedAtMs: T0 + 10 });
    await time.advance(120_000);
    expect(peer.calls).toHaveLength(1);
    await expect(waiting).resolves.toMatchObject({ status: 'canceled' });
    expect(store.getOutbox(id)!.status).toBe('canceled');
    expect(outbox.cancel('nope')).toBeUndefined();
  });

  it('an entry canceled while on the wire ends delivered if the ack still comes (it was delivered)', async () => {
    const { time, peer, outbox, store } = setup(['hang', 'hang']);
    const a = outbox.enqueue({ agent: 'alice', to: BOB });
    const b = outbox.enqueue({ agent: 'alice', to: BOB });
    await settle();
    outbox.cancel(a.id);
    outbox.cancel(b.id);
    peer.calls[0]!.answer('ack');
    peer.calls[1]!.answer(refused());
    await time.advance(10_000);
    expect(store.getOutbox(a.id)!.status).toBe('delivered');
    expect(store.getOutbox(b.id)!.status).toBe('canceled');
    expect(peer.calls).toHaveLength(2);
  });

  it('retry() attempts a backing-off entry now', async () => {
    const { time, peer, outbox, store } = setup([refused(), refused(), refused()]);
    const { id } = outbox.enqueue({ agent: 'alice', to: BOB });
    await time.advance(2_000); // attempts at 0 and 1000; next at 3000
    outbox.retry(id);
    await time.advance(10);
    expect(peer.calls.map((c) => c.at)).toEqual([0, 1_000, 2_000]);
    expect(store.getOutbox(id)).toMatchObject({ status: 'queued', attempts: 3, nextAttemptAtMs: T0 + 2_000 + 4_000 });
  });

  it('retry() re-queues a failed entry with a fresh expiry and backoff', async () => {
    const { time, peer, outbox, store } = setup([{ code: 'blocked' }, refused()]);
    const { id } = outbox.enqueue({ agent: 'alice', to: BOB });
    await time.advance(5_000);
    expect(store.getOutbox(id)!.status).toBe('failed');
    expect(outbox.retry(id)).toMatchObject({ status: 'queued', attempts: 0, expiresAtMs: T0 + 5_000 + 86_400_000, finishedAtMs: null });
    await time.advance(1_000);
    expect(peer.calls.map((c) => c.at)).toEqual([0, 5_000, 6_000]);
    expect(store.getOutbox(id)!.status).toBe('delivered');
    expect(outbox.retry(id)).toMatchObject({ status: 'delivered' });
    expect(outbox.retry('nope')).toBeUndefined();
  });
});

describe('Outbox: pipelining and timers', () => {
  it('keeps at most maxInFlightPerPeer attempts per peer, and a stuck peer never blocks another', async () => {
    const { peer, outbox, store } = setup([], 'hang', { maxInFlightPerPeer: 2 });
    const bob = Array.from({ length: 5 }, (_, i) => outbox.enqueue({ agent: 'alice', to: BOB, body: i }));
    const carol = outbox.enqueue({ agent: 'alice', to: CAROL });
    await settle();
    expect(peer.calls.map((c) => c.fields.id)).toEqual([bob[0]!.id, bob[1]!.id, carol.id]);
    peer.calls[2]!.answer('ack');
    await settle();
    expect(store.getOutbox(carol.id)!.status).toBe('delivered');
    expect(peer.calls).toHaveLength(3);
    peer.calls[0]!.answer('ack');
    await settle();
    expect(peer.calls.map((c) => c.fields.id)).toEqual([bob[0]!.id, bob[1]!.id, carol.id, bob[2]!.id]);
    expect(outbox.inFlightCount).toBe(2);
  });

  it('uses one timer for many waiting entries', async () => {
    const { time, peer, outbox } = setup([], refused());
    for (let i = 0; i < 50; i++) outbox.enqueue({ agent: 'alice', to: `toq://host${i}.example/x` });
    await time.advance(10);
    expect(peer.calls).toHaveLength(50);
    expect(time.pending).toBe(1);
    await time.advance(1_000);
    expect(peer.calls).toHaveLength(100);
    expect(time.pending).toBe(1);
  });

  it('sends nothing after stop(), and a new outbox resumes entries a crash left sending', async () => {
    const store = new MemoryStore();
    const first = setup(['hang', 'hang', 'hang'], 'ack', {}, store);
    const a = first.outbox.enqueue({ agent: 'alice', to: BOB });
    const b = first.outbox.enqueue({ agent: 'alice', to: CAROL });
    const c = first.outbox.enqueue({ agent: 'alice', to: CAROL, body: 'later' });
    await settle();
    expect(first.peer.calls).toHaveLength(3);
    // c fails and waits 1 s; a and b stay on the wire when the "process dies".
    first.peer.calls[2]!.answer(refused());
    await settle();
    await stopped(first.outbox, first.time);
    expect(first.peer.calls).toHaveLength(3);
    expect(store.getOutbox(a.id)!.status).toBe('sending');
    expect(store.getOutbox(c.id)).toMatchObject({ status: 'queued', attempts: 1 });

    const second = setup([], 'ack', {}, store);
    second.time.now = first.time.now;
    await second.time.advance(2_000);
    expect(second.peer.calls.map((call) => call.fields.id).sort()).toEqual([a.id, b.id, c.id].sort());
    for (const id of [a.id, b.id, c.id]) expect(store.getOutbox(id)!.status).toBe('delivered');
    // a and b were on the wire when the first process stopped: this is their second attempt.
    expect([a.id, b.id, c.id].map((id) => store.getOutbox(id)!.attempts)).toEqual([2, 2, 2]);
  });

  it('enqueueDurably answers once durableCommit has, and the first attempt starts at the commit', async () => {
    const time = new FakeTime();
    const store = new MemoryStore();
    const peer = new ScriptedPeer(time, [], 'ack');
    let release: () => void = () => undefined;
    const outbox = new Outbox({
      store,
      send: peer.send,
      now: () => time.now,
      log,
      timers: time,
      // A commit whose flush is still under way: written now, durable when released.
      durableCommit: <T>(write: () => T, onCommitted?: (value: T) => void) => {
        const value = write();
        onCommitted?.(value);
        return new Promise<T>((resolve) => (release = () => resolve(value)));
      },
    });
    outboxes.push({ outbox, time });
    outbox.start();
    let answered = false;
    const queued = outbox.enqueueDurably({ agent: 'alice', to: BOB, body: 'hi' }).then((r) => {
      answered = true;
      return r;
    });
    await settle();
    expect(peer.calls).toHaveLength(1);
    expect(answered).toBe(false);
    release();
    const result = await queued;
    expect(result).toMatchObject({ status: 'queued', id: peer.calls[0]!.fields.id });
    expect(store.getOutbox(result.id)!.status).toBe('delivered');
  });

  it('stores a new entry for an idle recipient already claimed and sends it without a pump', async () => {
    const { peer, outbox, store, time } = setup([], 'hang');
    const first = outbox.enqueue({ agent: 'alice', to: BOB, body: 'one' });
    // Claimed in the insert itself: before any microtask could have pumped.
    expect(store.getOutbox(first.id)).toMatchObject({ status: 'sending', attempts: 1 });
    expect(peer.calls.map((c) => c.fields.id)).toEqual([first.id]);
    peer.calls[0]!.answer('ack');
    await time.advance(0);
    expect(store.getOutbox(first.id)).toMatchObject({ status: 'delivered', attempts: 1 });
  });

  it('leaves a new entry queued when the recipient is at its in-flight limit, and sends it when a slot frees', async () => {
    const { peer, outbox, store, time } = setup([], 'hang', { maxInFlightPerPeer: 1 });
    const first = outbox.enqueue({ agent: 'alice', to: BOB, body: 'one' });
    const second = outbox.enqueue({ agent: 'alice', to: BOB, body: 'two' });
    const other = outbox.enqueue({ agent: 'alice', to: CAROL, body: 'elsewhere' });
    expect(store.getOutbox(second.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(store.getOutbox(other.id)!.status).toBe('sending');
    await time.advance(0);
    expect(peer.calls.map((c) => c.fields.id)).toEqual([first.id, other.id]);
    peer.calls[0]!.answer('ack');
    await time.advance(0);
    expect(peer.calls.map((c) => c.fields.id)).toEqual([first.id, other.id, second.id]);
  });

  it('never lets a new entry overtake a queued one of the same recipient', async () => {
    // An entry a previous run left queued: the pump that start() schedules sends it.
    const store = new MemoryStore();
    store.enqueueOutbox({ id: 'left-over', agent: 'alice', to: BOB, type: 'message.send', thread_id: 't', reply_to: null, content_type: null, body: '"old"', createdAtMs: T0 - 5_000, nextAttemptAtMs: T0 - 5_000, expiresAtMs: T0 + 86_400_000 });
    const { peer, outbox } = setup([], 'ack', {}, store);
    const fresh = outbox.enqueue({ agent: 'alice', to: BOB, body: 'new' });
    expect(store.getOutbox(fresh.id)).toMatchObject({ status: 'queued', attempts: 0 });
    await settle();
    expect(peer.calls.map((c) => c.fields.id)).toEqual(['left-over', fresh.id]);
  });

  it('gives the recipient slot back when a durable enqueue is rolled back', async () => {
    const time = new FakeTime();
    const store = new MemoryStore();
    const peer = new ScriptedPeer(time, [], 'hang');
    let failNext = true;
    const outbox = new Outbox(
      {
        store,
        send: peer.send,
        now: () => time.now,
        log,
        timers: time,
        durableCommit: async <T>(write: () => T, onCommitted?: (value: T) => void) => {
          const value = write();
          if (failNext) {
            failNext = false;
            throw new Error('EIO: commit failed');
          }
          onCommitted?.(value);
          return value;
        },
      },
      { maxInFlightPerPeer: 1 },
    );
    outboxes.push({ outbox, time });
    outbox.start();
    await expect(outbox.enqueueDurably({ agent: 'alice', to: BOB, body: 'lost' })).rejects.toThrow('EIO');
    // (The memory store cannot roll back: the failed entry stays; a real store would drop it.)
    const next = await outbox.enqueueDurably({ agent: 'alice', to: CAROL, body: 'kept' });
    const again = await outbox.enqueueDurably({ agent: 'alice', to: 'toq://dave.example/dave', body: 'kept too' });
    expect(store.getOutbox(next.id)!.status).toBe('sending');
    expect(store.getOutbox(again.id)!.status).toBe('sending');
    expect(peer.calls.map((c) => c.fields.id)).toEqual([next.id, again.id]);
  });
});
