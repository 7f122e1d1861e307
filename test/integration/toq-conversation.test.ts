// Two of our gateways on loopback, real TLS: handshake, negotiation, card exchange, a threaded
// conversation, a stream, heartbeats, the approval-pending and wrong-agent paths.

import { afterEach, describe, expect, it } from 'vitest';
import { RejectedError } from '../../src/protocol/errors.js';
import { isJsonObject } from '../../src/protocol/json-value.js';
import { ManualPeer } from '../helpers/manual-peer.js';
import { startTestGateway, type TestGateway } from '../helpers/gateways.js';
import { startMuteReceiver, type MuteReceiver } from '../helpers/mute-receiver.js';

const open: TestGateway[] = [];
const peers: ManualPeer[] = [];
const servers: MuteReceiver[] = [];

async function gateway(name: string, options: Parameters<typeof startTestGateway>[1] = {}): Promise<TestGateway> {
  const g = await startTestGateway(name, options);
  open.push(g);
  return g;
}

afterEach(async () => {
  for (const p of peers.splice(0)) p.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(open.splice(0).map((g) => g.close()));
});

function textOf(body: unknown): unknown {
  return isJsonObject(body) ? body['text'] : undefined;
}

describe('toq sessions between two gateways', () => {
  it('completes handshake, negotiation and card exchange, then delivers and acks', async () => {
    const alice = await gateway('alice');
    const bob = await gateway('bob');
    const session = await alice.endpoint.session(bob.addressOf());
    expect(session.peer.address).toBe(bob.addressOf());
    expect(session.peer.agentName).toBe('bob');
    expect(session.peer.publicKeyText).toBe(bob.agents[0]!.identity.publicKeyText);
    expect(session.local.address).toBe(alice.addressOf());

    const outcome = await alice.endpoint.send(bob.addressOf(), { type: 'message.send', body: { text: 'hello' }, thread_id: 't-1' });
    expect(outcome.status).toBe('acked');
    const [received] = await bob.waitForInbox(1);
    expect(received!.id).toBe(outcome.id);
    expect(received!.from).toBe(alice.addressOf());
    expect(textOf(received!.body)).toBe('hello');
    expect(received!.thread_id).toBe('t-1');
  });

  it('reuses one session for many pipelined messages and keeps their order', async () => {
    const alice = await gateway('alice');
    const bob = await gateway('bob');
    const sends = Array.from({ length: 50 }, (_, i) =>
      alice.endpoint.send(bob.addressOf(), { type: 'message.send', body: { n: i }, thread_id: 't' }),
    );
    const outcomes = await Promise.all(sends);
    expect(outcomes.every((o) => o.status === 'acked')).toBe(true);
    expect(alice.endpoint.sessionCount).toBe(1);
    const inbox = await bob.waitForInbox(50);
    expect(inbox.map((e) => Number(String((e.body as { n: unknown }).n)))).toEqual(Array.from({ length: 50 }, (_, i) => i));
    // Sequence numbers after setup start at 2 and go up by one (wire spec §8).
    expect(inbox.map((e) => Number(e.sequence))).toEqual(Array.from({ length: 50 }, (_, i) => i + 2));
  });

  it('carries a threaded conversation both ways with reply_to', async () => {
    const alice = await gateway('alice');
    const bob = await gateway('bob', {
      onMessage: async (envelope, session) => {
        if (textOf(envelope.body) === 'ping?') {
          // A reply goes over bob's own outbound session to the sender's address.
          void bob.endpoint.send(session.peer.address, {
            type: 'message.send',
            body: { text: 'pong!' },
            ...(envelope.thread_id !== undefined && { thread_id: envelope.thread_id }),
            reply_to: envelope.id,
          });
        }
      },
    });
    const question = await alice.endpoint.send(bob.addressOf(), { type: 'message.send', body: { text: 'ping?' }, thread_id: 'conv-7' });
    const [answer] = await alice.waitForInbox(1);
    expect(textOf(answer!.body)).toBe('pong!');
    expect(answer!.thread_id).toBe('conv-7');
    expect(answer!.reply_to).toBe(question.id);
    expect(answer!.from).toBe(bob.addressOf());

    await alice.endpoint.send(bob.addressOf(), { type: 'thread.close', body: { text: 'bye' }, thread_id: 'conv-7' });
    const inbox = await bob.waitForInbox(2);
    expect(inbox[1]!.type).toBe('thread.close');
  });

  it('delivers a stream as chunks then an end, each acked', async () => {
    const alice = await gateway('alice');
    const bob = await gateway('bob');
    const target = bob.addressOf();
    const streamId = 'stream-1';
    for (const text of ['Hel', 'lo ', 'world']) {
      const o = await alice.endpoint.send(target, { type: 'message.stream.chunk', body: { stream_id: streamId, data: { text } }, thread_id: 's' });
      expect(o.status).toBe('acked');
    }
    const end = await alice.endpoint.send(target, { type: 'message.stream.end', body: { stream_id: streamId, data: { text: 'Hello world' } }, thread_id: 's' });
    expect(end.status).toBe('acked');
    const inbox = await bob.waitForInbox(4);
    expect(inbox.map((e) => e.type)).toEqual(['message.stream.chunk', 'message.stream.chunk', 'message.stream.chunk', 'message.stream.end']);
    expect(inbox.map((e) => (e.body as { data: { text: string } }).data.text).slice(0, 3).join('')).toBe('Hello world');
  });

  it('sends heartbeats on outbound sessions and the receiver answers them', async () => {
    const bob = await gateway('bob');
    const alice = await gateway('alice', { timeouts: { heartbeatIntervalMs: 30, heartbeatTimeoutMs: 2_000 } });
    const session = await alice.endpoint.session(bob.addressOf());
    // Several heartbeat intervals pass; the session stays up because bob answers each one.
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(session.isOpen).toBe(true);
    expect(session.stats.heartbeatsAnswered).toBeGreaterThanOrEqual(2);
    const o = await alice.endpoint.send(bob.addressOf(), { type: 'message.send', body: { text: 'still here' } });
    expect(o.status).toBe('acked');
  });

  it('closes an outbound session whose peer never answers heartbeats', async () => {
    const alice = await gateway('alice', { timeouts: { heartbeatIntervalMs: 20, heartbeatTimeoutMs: 120 } });
    // A receiver that completes setup with the real machine and then reads nothing more.
    const mute = await startMuteReceiver('mute');
    servers.push(mute);
    const session = await alice.endpoint.session(mute.address);
    const err = await session.closed;
    expect(err).toMatchObject({ code: 'timeout', phase: 'heartbeat' });
    expect(session.isOpen).toBe(false);
  });

  it('holds a peer for approval, then delivers once approved', async () => {
    const bob = await gateway('bob', { connectionMode: 'approval' });
    const alice = await gateway('alice');
    const first = alice.endpoint.send(bob.addressOf(), { type: 'message.send', body: { text: 'may I?' } });
    await expect(first).rejects.toMatchObject({ code: 'approval_pending', message: 'Connection pending approval by remote agent' });
    await expect(first).rejects.toBeInstanceOf(RejectedError);
    const pending = bob.policy.listPending();
    expect(pending).toHaveLength(1);
    expect(pending[0]!.publicKey).toBe(alice.agents[0]!.identity.publicKeyText);
    expect(pending[0]!.address).toBe(alice.addressOf());
    expect(bob.inbox).toHaveLength(0);

    bob.policy.approvePending(alice.agents[0]!.identity.publicKey);
    const second = await alice.endpoint.send(bob.addressOf(), { type: 'message.send', body: { text: 'may I?' } });
    expect(second.status).toBe('acked');
    await bob.waitForInbox(1);
    expect(bob.policy.listPending()).toHaveLength(0);
  });

  it('lets a peer we wrote to answer on that thread in approval mode, and nothing else', async () => {
    const alice = await gateway('alice', { connectionMode: 'approval' });
    const bob = await gateway('bob', {
      onMessage: (envelope, session) => {
        if (textOf(envelope.body) !== 'question') return;
        void bob.endpoint.send(session.peer.address, { type: 'message.send', body: { text: 'answer' }, thread_id: envelope.thread_id!, reply_to: envelope.id });
      },
    });
    // alice (approval mode) opens thread q-1 with bob: bob's reply on q-1 gets through.
    await alice.send(bob.addressOf(), { type: 'message.send', body: { text: 'question' }, thread_id: 'q-1' });
    const [answer] = await alice.waitForInbox(1);
    expect(textOf(answer!.body)).toBe('answer');
    expect(answer!.thread_id).toBe('q-1');
    // A message from bob on a thread alice never opened is refused and bob waits for approval.
    const other = await bob.endpoint.send(alice.addressOf(), { type: 'message.send', body: { text: 'spam' }, thread_id: 'other' });
    expect(other).toMatchObject({ status: 'error', code: 'approval_timeout', message: 'Connection pending approval by remote agent' });
    expect(alice.inbox).toHaveLength(1);
    expect(alice.policy.listPending().map((p) => p.publicKey)).toEqual([bob.agents[0]!.identity.publicKeyText]);
  });

  it('refuses a blocked peer by closing without a word', async () => {
    const bob = await gateway('bob', { connectionMode: 'open' });
    const alice = await gateway('alice');
    bob.policy.block({ type: 'key', value: alice.agents[0]!.identity.publicKeyText });
    await expect(alice.endpoint.send(bob.addressOf(), { type: 'message.send', body: { text: 'x' } })).rejects.toMatchObject({ code: 'blocked' });
    expect(bob.inbox).toHaveLength(0);
  });

  it('answers a wrong target agent with the reference error object', async () => {
    const bob = await gateway('bob');
    const alice = await gateway('alice');
    const wrong = bob.addressOf().replace(/\/bob$/, '/carol');
    await expect(alice.endpoint.send(wrong, { type: 'message.send', body: { text: 'hi' } })).rejects.toMatchObject({
      code: 'agent_unavailable',
      message: "agent 'carol' not found on this endpoint (this is 'bob')",
    });
  });

  it('lets a manual peer (real initiator machine) talk to a gateway', async () => {
    const bob = await gateway('bob');
    const peer = await ManualPeer.connect({ port: bob.port, targetAgent: 'bob' });
    peers.push(peer);
    const sent = peer.send({ type: 'message.send', body: { text: 'raw hello' }, thread_id: 'r' });
    await peer.waitForAck(sent.id);
    const [got] = await bob.waitForInbox(1);
    expect(got!.id).toBe(sent.id);
  });
});

