// Hosted agents (DESIGN §3): an `[agents.<name>]` table gets its own identity and toq address on
// the shared port; `target_agent` picks it in the handshake, and its traffic never reaches the
// local agent's history, handlers or SSE stream.

import { afterEach, describe, expect, it } from 'vitest';
import { startTestDaemon, type TestDaemon } from '../helpers/daemons.js';
import { startTestGateway, type TestGateway } from '../helpers/gateways.js';

const daemons: TestDaemon[] = [];
const gateways: TestGateway[] = [];
afterEach(async () => {
  await Promise.all(gateways.splice(0).map((g) => g.close()));
  await Promise.all(daemons.splice(0).map((d) => d.cleanup()));
});

describe('hosted agents', () => {
  it('answer with their own identity and keep their traffic away from the local agent', async () => {
    const daemon = await startTestDaemon('alice', { mode: 'open', configToml: '[agents.helper]\ntoq = "toq://127.0.0.1:9/helper"\n' });
    daemons.push(daemon);
    const peer = await startTestGateway('peer');
    gateways.push(peer);
    const helperAddress = daemon.address.replace(/\/alice$/, '/helper');

    const session = await peer.endpoint.session(helperAddress);
    const helperKey = daemon.hosted.identities.get('helper')!.publicKeyText;
    expect(session.peer.agentName).toBe('helper');
    expect(session.peer.publicKeyText).toBe(helperKey);
    expect(helperKey).not.toBe(daemon.gateway.agents[0]!.identity.publicKeyText);

    // No receiver registered for helper in this test: the message is refused, not lost, and
    // nothing reaches alice's history.
    const outcome = await peer.endpoint.send(helperAddress, { type: 'message.send', body: { text: 'for helper' }, thread_id: 't' });
    expect(outcome).toMatchObject({ status: 'error', code: 'resource_exhausted' });
    const history = (await (await fetch(`${daemon.url}/v1/messages/history`)).json()) as { messages: unknown[] };
    expect(history.messages).toEqual([]);

    // With a receiver, delivery and ack go through it.
    const received: string[] = [];
    daemon.hosted.register('helper', async (envelope) => {
      received.push(envelope.id);
    });
    const delivered = await peer.endpoint.send(helperAddress, { type: 'message.send', body: { text: 'now' }, thread_id: 't' });
    expect(delivered.status).toBe('acked');
    expect(received).toEqual([delivered.id]);
  });
});
