// One ToqSession conformance suite, run twice: over an in-memory duplex pair and over real TLS
// on loopback. Both sides run the real setup machines first; nothing of ours is mocked.

import { afterEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/protocol/errors.js';
import { establishPair, memoryTransport, tlsTransport, type SessionPair, type Transport } from '../helpers/session-pair.js';

const transports: Array<[string, Transport]> = [
  ['in-memory duplex pair', memoryTransport],
  ['TLS on loopback', tlsTransport],
];

for (const [name, transport] of transports) {
  describe(`ToqSession over ${name}`, () => {
    const pairs: SessionPair[] = [];
    const pair = async (tuning?: Parameters<typeof establishPair>[1]): Promise<SessionPair> => {
      const p = await establishPair(transport, tuning);
      pairs.push(p);
      return p;
    };
    afterEach(async () => {
      await Promise.all(pairs.splice(0).map((p) => p.close()));
    });

    it('starts after setup with sequence 2 each way and the peers named by the handshake', async () => {
      const { initiator, receiver } = await pair();
      expect(initiator.peer.agentName).toBe('bob');
      expect(receiver.peer.agentName).toBe('alice');
      const outcome = await initiator.send({ type: 'message.send', body: { text: 'hi' } });
      expect(outcome.status).toBe('acked');
      if (outcome.status !== 'acked') return;
      expect(outcome.ack.sequence).toBe(2n); // the receiver's first envelope after its card
    });

    it('pipelines many messages and matches every ack by ack_id, in order', async () => {
      const p = await pair();
      const outcomes = await Promise.all(Array.from({ length: 40 }, (_, i) => p.initiator.send({ type: 'message.send', body: { i } })));
      expect(outcomes.map((o) => o.status)).toEqual(Array(40).fill('acked'));
      expect(p.delivered.map((e) => e.id)).toEqual(outcomes.map((o) => o.id));
      for (const o of outcomes) if (o.status === 'acked') expect((o.ack.body as { ack_id: string }).ack_id).toBe(o.id);
    });

    it('waits for the delivery callback before acking, and refuses with its error code', async () => {
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const p = await pair({ receiver: { onEnvelope: async () => gate } });
      let acked = false;
      const sending = p.initiator.send({ type: 'message.send', body: { text: 'slow commit' } }).then((o) => {
        acked = true;
        return o;
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(acked).toBe(false); // not acked while the commit is pending
      release();
      expect((await sending).status).toBe('acked');
    });

    it('answers a failed commit with system.error and no ack', async () => {
      const p = await pair({
        receiver: {
          onEnvelope: async () => {
            throw new Error('disk full');
          },
        },
      });
      const outcome = await p.initiator.send({ type: 'message.send', body: { text: 'x' } });
      expect(outcome).toMatchObject({ status: 'error', code: 'resource_exhausted' });
      expect(p.delivered).toHaveLength(0);
    });

    it('answers heartbeats from the outbound side', async () => {
      const p = await pair({ initiator: { heartbeatIntervalMs: 20, heartbeatTimeoutMs: 2_000 } });
      const deadline = Date.now() + 3_000;
      while (p.initiator.stats.heartbeatsAnswered < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(p.initiator.stats.heartbeatsAnswered).toBeGreaterThanOrEqual(2);
      expect(p.receiver.stats.heartbeatsAnswered).toBe(0); // inbound sessions never send them
    });

    it('closes gracefully with session.disconnect on both sides', async () => {
      const p = await pair();
      await p.initiator.send({ type: 'message.send', body: { text: 'last' } });
      await p.initiator.close();
      expect(await p.receiver.closed).toBeUndefined();
      expect(p.receiver.isOpen).toBe(false);
    });

    it('refuses a send after close with session_closed', async () => {
      const p = await pair();
      await p.initiator.close();
      await expect(p.initiator.send({ type: 'message.send', body: {} })).rejects.toMatchObject({ code: 'session_closed' });
      await expect(p.initiator.send({ type: 'message.send', body: {} })).rejects.toBeInstanceOf(GatewayError);
    });

    it('fails pending acks with session_lost when the connection drops', async () => {
      const p = await pair({ receiver: { onEnvelope: () => new Promise<void>(() => undefined), closeDrainMs: 50 } }); // never commits
      const sending = p.initiator.send({ type: 'message.send', body: { text: 'in flight' } });
      await new Promise((resolve) => setTimeout(resolve, 30));
      p.receiver.destroy();
      await expect(sending).rejects.toMatchObject({ code: 'session_lost' });
    });

    it('times out an ack that never comes', async () => {
      const p = await pair({ initiator: { ackTimeoutMs: 50 }, receiver: { onEnvelope: () => new Promise<void>(() => undefined), closeDrainMs: 50 } });
      await expect(p.initiator.send({ type: 'message.send', body: {} })).rejects.toMatchObject({ code: 'timeout', phase: 'ack' });
    });
  });
}
