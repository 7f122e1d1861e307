// The cap on derived A2A principal identities (DESIGN §4, docs/LIMITS.md) with real daemons over
// real TLS on 127.0.0.1: gw1 hosts `[agents.bob] toq = carol@gw2` with a2a_principal_identities
// and a cap of 2; three JWT principals call bob. The least recently used identity whose turn has
// ended is evicted and really unhosted (carol's session from it closes, a message to it is
// refused), the one whose turn waits for a reply is kept (the late reply completes its task), and
// the evicted principal calling again is hosted again under the same address.

import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskState } from '@a2a-js/sdk';
import { GatewayError } from '../../src/protocol/errors.js';
import { TestJwtIssuer } from '../helpers/jwt-issuer.js';
import { artifactText, asTask, clientFor, remoteEntry, request, startWorkspace, type Workspace } from '../helpers/principal-workspaces.js';
import { until } from '../helpers/until.js';

const AUDIENCE = 'toq-principal-cap-test';

/** Peer addresses of the inbound toq sessions a workspace has now. */
const inboundPeers = async (url: string): Promise<string[]> =>
  ((await (await fetch(`${url}/v1/connections`)).json()) as { connections: Array<{ peer_address: string }> }).connections.map((c) => c.peer_address);

describe('a2a_principal_identities with a cap of 2 derived identities', () => {
  let issuer: TestJwtIssuer;
  let gw1: Workspace;
  let gw2: Workspace;

  beforeAll(async () => {
    issuer = await TestJwtIssuer.start();
    gw2 = await startWorkspace('carol', 'connection_mode = "open"\n', { handlers: true, blockingTimeoutMs: 5_000 });
    gw1 = await startWorkspace(
      'gw',
      `a2a_enabled = true\na2a_principal_identities = true\n` +
        `a2a_jwt_issuer = "${issuer.origin}"\na2a_jwt_audience = "${AUDIENCE}"\na2a_jwt_jwks_url = "${issuer.jwksUrl}"\n` +
        `[agents.bob]\ntoq = "toq://127.0.0.1:${gw2.daemon.port}/carol"\n`,
      { principalIdentityCap: 2, blockingTimeoutMs: 5_000 },
    );
  });
  afterAll(async () => {
    for (const ws of [gw1, gw2]) {
      if (ws === undefined) continue;
      await ws.daemon.stop();
      rmSync(ws.dir, { recursive: true, force: true });
    }
    await issuer?.close();
  });

  it('evicts the oldest identity whose turn ended, keeps the one whose turn waits, and hosts the evicted one again when its principal calls', async () => {
    const bobUrl = `${gw1.url}/a2a/bob/`;
    const [zoe, alice, max] = await Promise.all(['zoe', 'alice', 'max'].map(async (sub) => clientFor(bobUrl, await issuer.token(sub, AUDIENCE))));

    // zoe first (the least recently used): her turn waits for a reply that does not come yet.
    const zoeTask = asTask(await zoe!.sendMessage(request('silent', { returnImmediately: true })));
    const zoeEntry = await remoteEntry(gw2.url, zoeTask.id);
    // alice's turn ends with carol's answer.
    const aliceTask = asTask(await alice!.sendMessage(request('hi from alice')));
    expect(artifactText(aliceTask)).toBe('remote: hi from alice');
    const aliceFrom = (await remoteEntry(gw2.url, aliceTask.id)).from;
    expect(aliceFrom).not.toBe(zoeEntry.from);
    expect(await inboundPeers(gw2.url)).toContain(aliceFrom);

    // A third principal at the cap: alice's identity goes (zoe's, older, waits for a reply).
    const maxTask = asTask(await max!.sendMessage(request('hi from max')));
    expect(artifactText(maxTask)).toBe('remote: hi from max');
    expect(gw1.daemon.hosted.hostOf(aliceFrom.slice(aliceFrom.lastIndexOf('/') + 1))).not.toBe('bob');

    // Really unhosted: carol's session from alice's identity closes, and a message to it is refused.
    await until(async () => ((await inboundPeers(gw2.url)).includes(aliceFrom) ? undefined : true));
    const refusal = await until(async () => {
      const outcome = await gw2.daemon.gateway.endpoint.send(aliceFrom, { type: 'message.send', body: { text: 'to an evicted identity' } }).catch((err: unknown) => err);
      if (!(outcome instanceof GatewayError)) throw new Error(`a message to the evicted identity was not refused: ${JSON.stringify(outcome)}`);
      // Refused by the alias-less agent while its session closes; then at the handshake, as unknown.
      return outcome.code === 'agent_unavailable' ? outcome : undefined;
    });
    expect(refusal.message).toMatch(/not found on this endpoint/);

    // zoe's identity stayed: carol's late reply lands and completes her task.
    const late = await fetch(`${gw2.url}/v1/messages?wait=false`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: zoeEntry.from, thread_id: zoeEntry.thread_id, body: { text: 'late answer' } }),
    });
    expect(late.ok).toBe(true);
    const completed = await until(async () => {
      const task = await zoe!.getTask({ tenant: '', id: zoeTask.id });
      return task.status?.state === TaskState.TASK_STATE_COMPLETED ? task : undefined;
    });
    expect(artifactText(completed)).toBe('late answer');

    // alice calls again: the same identity (deterministic) is hosted again and carol's answer lands.
    const again = asTask(await alice!.sendMessage(request('alice again')));
    expect(again.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactText(again)).toBe('remote: alice again');
    expect((await remoteEntry(gw2.url, again.id)).from).toBe(aliceFrom);
  });
});
