// ToqEndpoint.removeAgent through Gateway.removeAgent, two of our gateways on loopback with real
// TLS: an identity added at run time (as a derived A2A principal identity is, DESIGN §4) is
// really unhosted when removed (its sessions both ways close, handshakes naming it are refused,
// it can no longer dial) and works again once added back.

import { afterEach, describe, expect, it } from 'vitest';
import { generateIdentity } from '../../src/protocol/ed25519.js';
import { startTestGateway, type TestGateway } from '../helpers/gateways.js';

const open: TestGateway[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((g) => g.close()));
});

async function gateway(name: string): Promise<TestGateway> {
  const g = await startTestGateway(name);
  open.push(g);
  return g;
}

describe('Gateway.removeAgent: an identity added at run time is unhosted', () => {
  it('closes its sessions both ways, refuses handshakes naming it and dials from it; added back, it works again', async () => {
    const alice = await gateway('alice');
    const bob = await gateway('bob');
    const identity = generateIdentity();
    const added = alice.addAgent({ name: 'a2a-temporary', identity });
    const temporary = alice.addressOf('a2a-temporary');
    expect(added.address).toBe(temporary);

    // Both ways while hosted: from it (alice's outbound session) and to it (an inbound session at alice).
    expect((await alice.endpoint.send(bob.addressOf(), { type: 'message.send', body: { text: 'from temporary' } }, { fromAgent: 'a2a-temporary' })).status).toBe('acked');
    expect((await bob.waitForInbox(1))[0]!.from).toBe(temporary);
    expect((await bob.endpoint.send(temporary, { type: 'message.send', body: { text: 'to temporary' } })).status).toBe('acked');
    expect((await alice.waitForInbox(1))[0]!.to).toContain(temporary);
    const outbound = await alice.endpoint.session(bob.addressOf(), 'a2a-temporary');
    const bobsSession = await bob.endpoint.session(temporary);
    const inbound = alice.endpoint.inboundSessions().find((s) => s.local.agentName === 'a2a-temporary');
    expect(inbound?.isOpen).toBe(true);
    // alice's own sessions stay.
    const aliceOwn = await alice.endpoint.session(bob.addressOf());

    await alice.removeAgent('a2a-temporary');
    expect(outbound.isOpen).toBe(false);
    expect(inbound?.isOpen).toBe(false);
    await bobsSession.closed;
    expect(aliceOwn.isOpen).toBe(true);
    expect(() => alice.endpoint.agent('a2a-temporary')).toThrow(RangeError);

    await expect(bob.endpoint.send(temporary, { type: 'message.send', body: { text: 'after removal' } })).rejects.toMatchObject({
      code: 'agent_unavailable',
      message: "agent 'a2a-temporary' not found on this endpoint (this is 'alice')",
    });
    await expect(alice.endpoint.send(bob.addressOf(), { type: 'message.send', body: { text: 'x' } }, { fromAgent: 'a2a-temporary' })).rejects.toThrow(
      /no hosted agent named "a2a-temporary"/,
    );
    expect(alice.inbox).toHaveLength(1);
    expect(bob.inbox).toHaveLength(1);

    // Removing it again, or a name never hosted, is a no-op; the default agent cannot go.
    await alice.removeAgent('a2a-temporary');
    await alice.removeAgent('never-hosted');
    await expect(alice.removeAgent('alice')).rejects.toThrow(RangeError);

    // The same identity added back: new sessions, both ways.
    alice.addAgent({ name: 'a2a-temporary', identity });
    expect((await bob.endpoint.send(temporary, { type: 'message.send', body: { text: 'to temporary again' } })).status).toBe('acked');
    expect((await alice.endpoint.send(bob.addressOf(), { type: 'message.send', body: { text: 'from temporary again' } }, { fromAgent: 'a2a-temporary' })).status).toBe('acked');
    expect((await alice.waitForInbox(2))[1]!.to).toContain(temporary);
    expect((await bob.waitForInbox(2))[1]!.from).toBe(temporary);
    expect(await alice.endpoint.session(bob.addressOf(), 'a2a-temporary')).not.toBe(outbound);
  });
});
