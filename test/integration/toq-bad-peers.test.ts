// Bad input from a peer never crashes the gateway and never blocks other connections: stalled
// phases, oversize frames, bad signatures, replays, duplicates, unknown types, lone surrogates,
// invalid base64. Each test also proves that a well-behaved peer still gets through afterwards.

import { afterEach, describe, expect, it } from 'vitest';
import { MAGIC } from '../../src/protocol/constants.js';
import { generateIdentity } from '../../src/protocol/ed25519.js';
import { serializeEnvelope } from '../../src/protocol/envelope.js';
import { buildInitiatorCredentials } from '../../src/protocol/handshake.js';
import { buildLocalCard } from '../../src/protocol/card.js';
import { encodeFrame, FrameDecoder } from '../../src/protocol/frame.js';
import { InitiatorSetup } from '../../src/protocol/initiator-setup.js';
import { ManualPeer, openTls } from '../helpers/manual-peer.js';
import { RawPeer } from '../helpers/raw-peer.js';
import type { TLSSocket } from 'node:tls';
import { startTestGateway, type TestGateway } from '../helpers/gateways.js';

const gateways: TestGateway[] = [];
const cleanups: Array<() => void> = [];

async function bobGateway(options: Parameters<typeof startTestGateway>[1] = {}): Promise<TestGateway> {
  const g = await startTestGateway('bob', options);
  gateways.push(g);
  return g;
}

async function connectPeer(g: TestGateway): Promise<ManualPeer> {
  const peer = await ManualPeer.connect({ port: g.port, targetAgent: 'bob' });
  cleanups.push(() => peer.close());
  return peer;
}

/** A fresh well-behaved peer still completes setup and gets an ack. */
async function expectStillServing(g: TestGateway): Promise<void> {
  const peer = await connectPeer(g);
  const sent = peer.send({ type: 'message.send', body: { text: 'still fine' } });
  await peer.waitForAck(sent.id);
  peer.close();
}

afterEach(async () => {
  for (const c of cleanups.splice(0)) c();
  await Promise.all(gateways.splice(0).map((g) => g.close()));
});

describe('misbehaving toq peers', () => {
  it('drops a connection whose first byte never comes, without blocking others', async () => {
    const bob = await bobGateway({ peekTimeoutMs: 100 });
    const silent = await RawPeer.connectPlain(bob.port);
    cleanups.push(() => silent.socket.destroy());
    await expectStillServing(bob); // served while the silent one is still waiting
    await silent.waitForClose(2_000);
  });

  it('drops a stalled TLS handshake, without blocking others', async () => {
    const bob = await bobGateway({ tlsTimeoutMs: 100 });
    const stalled = await RawPeer.connectPlain(bob.port);
    cleanups.push(() => stalled.socket.destroy());
    stalled.write(Buffer.from([0x16, 0x03, 0x01])); // the start of a ClientHello, then nothing
    await expectStillServing(bob);
    await stalled.waitForClose(2_000);
  });

  it('drops a peer that stalls in the card exchange, without blocking others', async () => {
    const bob = await bobGateway({ timeouts: { setup: { cardMs: 150 } } });
    // The real initiator machine, driven by hand: everything it writes goes out until it
    // reaches the card phase; its card is never sent.
    const socket = await openTls(bob.port);
    cleanups.push(() => socket.destroy());
    const identity = generateIdentity();
    const machine = new InitiatorSetup({
      identity,
      address: 'toq://127.0.0.1:1/staller',
      card: buildLocalCard({ name: 'staller', publicKeyText: identity.publicKeyText, connectionMode: 'open' }),
      targetAgent: 'bob',
      now: Date.now,
    });
    let writes = 0;
    const run = (actions: ReturnType<InitiatorSetup['start']>): void => {
      for (const a of actions) {
        if (a.kind !== 'write' || machine.phase === 'card' || machine.phase === 'done') continue;
        socket.write(a.bytes);
        writes += 1;
      }
    };
    const decoder = new FrameDecoder();
    const seen = watch(socket);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) if (machine.phase !== 'done') run(machine.receive(frame));
    });
    run(machine.start());
    await seen.closed(3_000);
    // Credentials and negotiate.request went out; our card never did.
    expect(writes).toBe(2);
    await expectStillServing(bob);
  });

  it('delivers every message that arrived before an abrupt close (send, disconnect, drop)', async () => {
    const bob = await bobGateway();
    const peer = await connectPeer(bob);
    // Like a reference sender with wait=false, but with many messages: all frames and the
    // disconnect in one write, then the connection is dropped without waiting for anything.
    const sent = Array.from({ length: 12 }, (_, i) => peer.envelope({ type: 'message.send', body: { n: i }, thread_id: 't' }));
    const disconnect = peer.envelope({ type: 'session.disconnect' });
    const bytes = Buffer.concat([...sent, disconnect].map((e) => encodeFrame(serializeEnvelope(e))));
    await new Promise<void>((resolve) => peer.socket.write(bytes, () => resolve())); // handed to the kernel
    peer.socket.destroy(); // no close_notify, no waiting for acks
    const inbox = await bob.waitForInbox(12);
    expect(inbox.map((e) => e.id)).toEqual(sent.map((e) => e.id));
  });

  it('acks everything sent before a graceful session.disconnect, then closes', async () => {
    const bob = await bobGateway();
    const peer = await connectPeer(bob);
    const sent = Array.from({ length: 6 }, (_, i) => peer.envelope({ type: 'message.send', body: { n: i } }));
    const disconnect = peer.envelope({ type: 'session.disconnect' });
    peer.writeRaw(Buffer.concat([...sent, disconnect].map((e) => encodeFrame(serializeEnvelope(e)))));
    await peer.waitClosed();
    const acked = peer.received.filter((e) => e.type === 'message.ack').map((e) => (e.body as { ack_id: string }).ack_id);
    expect(acked).toEqual(sent.map((e) => e.id));
  });

  it('closes a session on an oversize frame length, before reading the body', async () => {
    const bob = await bobGateway();
    const peer = await connectPeer(bob);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(1_048_577, 0); // one byte over the 1 MiB cap
    peer.writeRaw(header);
    await peer.waitClosed();
    await expectStillServing(bob);
  });

  it('accepts a frame of exactly the cap length as far as framing goes', async () => {
    const bob = await bobGateway();
    const peer = await connectPeer(bob);
    // A valid envelope padded to 1 MiB with JSON whitespace is still a valid frame and envelope.
    const env = peer.envelope({ type: 'message.send', body: { text: 'big' } });
    const json = serializeEnvelope(env);
    const padded = Buffer.concat([json, Buffer.alloc(1_048_576 - json.length, 0x20)]);
    peer.writeFrame(padded);
    await peer.waitForAck(env.id);
  });

  it('closes a session on a bad signature and delivers nothing', async () => {
    const bob = await bobGateway();
    const peer = await connectPeer(bob);
    const env = peer.envelope({ type: 'message.send', body: { text: 'original' } });
    const tampered = { ...env, body: { text: 'tampered' } };
    peer.sendEnvelope(tampered);
    await peer.waitClosed();
    expect(bob.inbox).toHaveLength(0);
    expect(peer.received.some((e) => e.type === 'message.ack')).toBe(false);
    await expectStillServing(bob);
  });

  it('refuses a replayed sequence number with system.error and does not deliver it', async () => {
    const bob = await bobGateway();
    const peer = await connectPeer(bob);
    const first = peer.send({ type: 'message.send', body: { text: 'one' } });
    await peer.waitForAck(first.id);
    const replay = peer.send({ type: 'message.send', body: { text: 'two' }, sequence: first.sequence });
    const error = await peer.waitFor((e) => e.type === 'system.error');
    expect(error.body).toMatchObject({ code: 'sequence_violation', related_id: replay.id });
    expect(peer.received.some((e) => e.type === 'message.ack' && (e.body as { ack_id: string }).ack_id === replay.id)).toBe(false);
    const next = peer.send({ type: 'message.send', body: { text: 'three' } });
    await peer.waitForAck(next.id);
    expect(bob.inbox.map((e) => (e.body as { text: string }).text)).toEqual(['one', 'three']);
  });

  it('acks a duplicate id again but delivers it once, also across connections', async () => {
    const bob = await bobGateway();
    const peer = await connectPeer(bob);
    const original = peer.send({ type: 'message.send', body: { text: 'once' } });
    await peer.waitForAck(original.id);
    const again = peer.send({ type: 'message.send', body: { text: 'once' }, id: original.id });
    expect(again.sequence).toBeGreaterThan(original.sequence);
    await peer.waitFor((e) => e.type === 'message.ack' && e.sequence > 2n && (e.body as { ack_id: string }).ack_id === original.id);
    // A retry on a new connection (same key, same id) is acked and still not delivered twice.
    const second = await ManualPeer.connect({ port: bob.port, targetAgent: 'bob', identity: peer.identity });
    cleanups.push(() => second.close());
    second.send({ type: 'message.send', body: { text: 'once' }, id: original.id });
    await second.waitForAck(original.id);
    expect(bob.inbox.filter((e) => e.id === original.id)).toHaveLength(1);
  });

  it('ignores an unknown message type without answering, and keeps the session', async () => {
    const bob = await bobGateway();
    const peer = await connectPeer(bob);
    const future = peer.sendUnknownType('system.future_feature', { hello: 'later' });
    const next = peer.send({ type: 'message.send', body: { text: 'after' } });
    await peer.waitForAck(next.id);
    // Nothing answered the unknown envelope: the only envelope back is the ack of `next`.
    expect(peer.received.map((e) => e.type)).toEqual(['message.ack']);
    expect(future.sequence).toBeLessThan(next.sequence);
    expect(bob.inbox.map((e) => e.id)).toEqual([next.id]);
  });

  it('closes a session on a lone surrogate escape', async () => {
    const bob = await bobGateway();
    const peer = await connectPeer(bob);
    const env = peer.envelope({ type: 'message.send', body: { text: 'PLACEHOLDER' } });
    const json = serializeEnvelope(env).toString('utf8').replace('PLACEHOLDER', '\\ud800');
    peer.writeFrame(json);
    await peer.waitClosed();
    expect(bob.inbox).toHaveLength(0);
    await expectStillServing(bob);
  });

  it('closes a session on a signature that is not valid base64', async () => {
    const bob = await bobGateway();
    const peer = await connectPeer(bob);
    const env = peer.envelope({ type: 'message.send', body: { text: 'hi' } });
    peer.sendEnvelope({ ...env, signature: 'ed25519:!!!not-base64!!!' });
    await peer.waitClosed();
    expect(bob.inbox).toHaveLength(0);
    await expectStillServing(bob);
  });

  it('closes during the handshake on a public key that is not valid base64', async () => {
    const bob = await bobGateway();
    const socket = await openTls(bob.port);
    cleanups.push(() => socket.destroy());
    const creds = buildInitiatorCredentials(generateIdentity(), 'toq://127.0.0.1:1/x', Buffer.alloc(32, 1), 'bob');
    const broken = { ...creds, public_key: 'ed25519:AAAA#not base64' };
    socket.write(Buffer.concat([MAGIC, encodeFrame(Buffer.from(JSON.stringify(broken)))]));
    const seen = watch(socket);
    await seen.closed(3_000);
    expect(seen.received()).toHaveLength(0); // closed silently, as the reference does (§4.3)
    await expectStillServing(bob);
  });

  it('closes when an envelope claims another sender than the handshake', async () => {
    const bob = await bobGateway();
    const peer = await connectPeer(bob);
    peer.send({ type: 'message.send', body: { text: 'spoof' }, from: 'toq://trusted.example/boss' });
    await peer.waitClosed();
    expect(bob.inbox).toHaveLength(0);
  });
});

/** Records what a socket receives and when it closes; every wait has a deadline. */
function watch(socket: TLSSocket): { received(): Buffer; bytes(n: number): Promise<void>; closed(timeoutMs: number): Promise<void> } {
  const chunks: Buffer[] = [];
  let isClosed = false;
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => undefined); // a reset is one of the expected endings
  socket.on('close', () => (isClosed = true));
  const until = async (probe: () => boolean, timeoutMs: number, what: string): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!probe()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  return {
    received: () => Buffer.concat(chunks),
    bytes: (n) => until(() => Buffer.concat(chunks).length >= n, 3_000, `${n} bytes`),
    closed: (timeoutMs) => until(() => isClosed, timeoutMs, 'close'),
  };
}
