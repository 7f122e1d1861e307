// The outbox with REAL gateways on loopback (TLS, handshake, pooled sessions) and SQLite stores in
// a temp dir: a receiver that is offline and comes back on the same port, a receiver that holds
// us for approval, and a sender killed with messages on the wire. Every message must arrive
// exactly once. Backoffs are tiny so the tests stay fast.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../src/daemon/gateway.js';
import { Outbox, type OutboxOptions } from '../../src/delivery/outbox.js';
import { toInboundRecord } from '../../src/store/inbox-record.js';
import { generateIdentity, type Identity } from '../../src/protocol/ed25519.js';
import type { ConnectionMode } from '../../src/protocol/policy.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite-store.js';
import { testCertificate } from '../helpers/certs.js';
import { freeLoopbackPort } from '../helpers/ports.js';

const log = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
const FAST: OutboxOptions = { backoffMs: [20, 40, 80], steadyRetryMs: 100, stopDrainMs: 0 };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'toq-outbox-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function sorted(ids: readonly (string | undefined)[]): (string | undefined)[] {
  return [...ids].sort();
}


/** Polls a condition (bounded); for waiting on another process-like component, not for time. */
async function until(what: string, condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

interface Receiver {
  readonly gateway: Gateway;
  readonly store: SqliteStore;
  /** Ids committed for the first time (recordInbound returned true), in commit order. */
  readonly delivered: string[];
  stop(): Promise<void>;
}

/**
 * A receiving "daemon": a gateway whose delivery callback commits history + seen id in one
 * transaction before the ack (DESIGN §7), on its own SQLite file. `gate` delays commits.
 */
async function startReceiver(options: { dbPath: string; identity: Identity; port?: number; mode?: ConnectionMode; gate?: () => Promise<void>; delivered?: string[] }): Promise<Receiver> {
  const store = openSqliteStore({ path: options.dbPath });
  const delivered = options.delivered ?? [];
  const gateway = await startGateway({
    port: options.port ?? 0,
    bindAddress: '127.0.0.1',
    connectionMode: options.mode ?? 'open',
    certificate: testCertificate(),
    agents: [{ name: 'bob', identity: options.identity }],
    log,
    onMessage: async (envelope, session) => {
      await options.gate?.();
      const isNew = store.recordInbound(toInboundRecord(envelope, session.local.agentName, session.peer.publicKeyText, Date.now()));
      if (isNew) delivered.push(envelope.id);
    },
  });
  let isStopped = false;
  const stop = async (): Promise<void> => {
    if (isStopped) return;
    isStopped = true;
    await gateway.close();
    store.close();
  };
  cleanups.push(stop);
  return { gateway, store, delivered, stop };
}

interface Sender {
  readonly gateway: Gateway;
  readonly store: SqliteStore;
  readonly outbox: Outbox;
  /** Outbox + store + gateway go at once, as if the process were killed. */
  kill(): Promise<void>;
}

async function startSender(options: { dbPath: string; identity: Identity; outbox?: OutboxOptions }): Promise<Sender> {
  const store = openSqliteStore({ path: options.dbPath });
  const gateway = await startGateway({
    port: 0,
    bindAddress: '127.0.0.1',
    connectionMode: 'open',
    certificate: testCertificate(),
    agents: [{ name: 'alice', identity: options.identity }],
    log,
    timeouts: { ackMs: 2_000 },
  });
  const outbox = new Outbox({ store, send: (target, fields, o) => gateway.send(target, fields, o), now: Date.now, log }, { ...FAST, ...options.outbox });
  outbox.start();
  let isDead = false;
  const kill = async (): Promise<void> => {
    if (isDead) return;
    isDead = true;
    await outbox.stop();
    store.close();
    await gateway.close();
  };
  cleanups.push(kill);
  return { gateway, store, outbox, kill };
}

describe('outbox over real gateways and SQLite', () => {
  it('delivers exactly once to a receiver that was offline (not started, then stopped) once it listens on its port again', async () => {
    const dir = tempDir();
    const port = await freeLoopbackPort();
    const bobIdentity = generateIdentity();
    const bobAddress = `toq://localhost:${port}/bob`;
    const sender = await startSender({ dbPath: join(dir, 'alice.db'), identity: generateIdentity() });

    // Not started yet: attempts fail (connection refused) and back off.
    const first = [1, 2, 3].map((n) => sender.outbox.enqueue({ agent: 'alice', to: bobAddress, body: { n }, thread_id: 'offline' }).id);
    const refused = await sender.outbox.waitForOutcome(first[0]!, { timeoutMs: 5_000, untilFirstFailure: true });
    expect(refused).toMatchObject({ status: 'retrying', code: 'ECONNREFUSED' });
    await until('a few retries', () => first.every((id) => sender.store.getOutbox(id)!.attempts >= 2));
    expect(first.map((id) => sender.store.getOutbox(id)!.status).every((s) => s === 'queued' || s === 'sending')).toBe(true);

    const delivered: string[] = [];
    const bobDb = join(dir, 'bob.db');
    let bob = await startReceiver({ dbPath: bobDb, identity: bobIdentity, port, delivered });
    for (const id of first) await expect(sender.outbox.waitForOutcome(id, { timeoutMs: 10_000 })).resolves.toMatchObject({ status: 'delivered' });
    // Exactly once each. Not necessarily in order: when a dial fails, ToqEndpoint.session() lets
    // each waiter dial again, so a peer coming up mid-retry can take the 2nd before the 1st.
    expect(sorted(delivered)).toEqual(sorted(first));

    // Stopped: the pooled session ends; new messages wait until it is back (a new process on the same file and port).
    await bob.stop();
    const second = [4, 5].map((n) => sender.outbox.enqueue({ agent: 'alice', to: bobAddress, body: { n } }).id);
    await until('retries while bob is down', () => second.every((id) => sender.store.getOutbox(id)!.attempts >= 2));
    bob = await startReceiver({ dbPath: bobDb, identity: bobIdentity, port, delivered });
    for (const id of second) await expect(sender.outbox.waitForOutcome(id, { timeoutMs: 10_000 })).resolves.toMatchObject({ status: 'delivered' });

    expect(delivered).toHaveLength(5);
    expect(sorted(delivered.slice(3))).toEqual(sorted(second));
    const bodies = new Map(bob.store.history({ limit: 100 }).map((m) => [m.id, m.body]));
    expect(bodies).toEqual(
      new Map([
        [first[0], '{"n":1}'],
        [first[1], '{"n":2}'],
        [first[2], '{"n":3}'],
        [second[0], '{"n":4}'],
        [second[1], '{"n":5}'],
      ]),
    );
    expect(sender.store.getCounter('messages_out')).toBe(5);
  });

  it('keeps retrying while the receiver holds us for approval, and delivers once approved', async () => {
    const dir = tempDir();
    const aliceIdentity = generateIdentity();
    const bob = await startReceiver({ dbPath: join(dir, 'bob.db'), identity: generateIdentity(), mode: 'approval' });
    const sender = await startSender({ dbPath: join(dir, 'alice.db'), identity: aliceIdentity });

    const { id } = sender.outbox.enqueue({ agent: 'alice', to: bob.gateway.addressOf(), body: { text: 'may I?' } });
    const pending = await sender.outbox.waitForOutcome(id, { timeoutMs: 5_000, untilFirstFailure: true });
    expect(pending).toMatchObject({ status: 'retrying', code: 'approval_pending' });
    await until('several attempts', () => sender.store.getOutbox(id)!.attempts >= 3);
    expect(sender.store.getOutbox(id)).toMatchObject({ status: expect.stringMatching(/^(queued|sending)$/) as unknown, lastError: { code: 'approval_pending' } });
    expect(bob.gateway.policy.listPending().map((p) => p.publicKey)).toEqual([aliceIdentity.publicKeyText]);
    expect(bob.delivered).toEqual([]);

    bob.gateway.policy.approvePending(aliceIdentity.publicKeyText);
    await expect(sender.outbox.waitForOutcome(id, { timeoutMs: 10_000 })).resolves.toMatchObject({ status: 'delivered' });
    expect(bob.delivered).toEqual([id]);
  });

  it('a sender killed with messages on the wire resumes from its file; the receiver keeps each once', async () => {
    const dir = tempDir();
    const aliceIdentity = generateIdentity();
    const aliceDb = join(dir, 'alice.db');
    // Bob commits slowly at first: the first message blocks its session until released.
    let release!: () => void;
    const gateOpen = new Promise<void>((resolve) => (release = resolve));
    let arrivals = 0;
    const bob = await startReceiver({
      dbPath: join(dir, 'bob.db'),
      identity: generateIdentity(),
      gate: async () => {
        arrivals += 1;
        await gateOpen;
      },
    });

    const first = await startSender({ dbPath: aliceDb, identity: aliceIdentity, outbox: { maxInFlightPerPeer: 16 } });
    const ids = Array.from({ length: 20 }, (_, n) => first.outbox.enqueue({ agent: 'alice', to: bob.gateway.addressOf(), body: { n } }).id);
    await until('bob is committing the first message', () => arrivals >= 1);
    await until('16 on the wire', () => first.store.listOutbox({ status: 'sending' }).length === 16);
    await first.kill();

    // Bob finishes committing what reached it (its acks go nowhere), then alice's new process starts.
    release();
    await until('bob committed what was on the wire', () => bob.delivered.length === 16);
    const second = await startSender({ dbPath: aliceDb, identity: aliceIdentity });
    for (const id of ids) await expect(second.outbox.waitForOutcome(id, { timeoutMs: 10_000 })).resolves.toMatchObject({ status: 'delivered' });

    expect(bob.delivered).toHaveLength(20);
    expect(new Set(bob.delivered)).toEqual(new Set(ids));
    expect(bob.store.history({ limit: 100 })).toHaveLength(20);
    expect(second.store.listOutbox({ limit: 100 }).every((e) => e.status === 'delivered')).toBe(true);
    // The 16 that were on the wire were sent again (same ids) and acked as duplicates.
    expect(ids.slice(0, 16).every((id) => second.store.getOutbox(id)!.attempts === 2)).toBe(true);
  });
});
