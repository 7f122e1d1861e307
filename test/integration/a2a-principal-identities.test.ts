// Per-principal toq identities (DESIGN §4, `a2a_principal_identities = true`) with real daemons
// over real TLS on 127.0.0.1: gw1 hosts `[agents.bob] toq = carol@gw2` (gw2 open) and
// `[agents.eve] toq = dave@gw3` (gw3 in approval mode); A2A callers authenticate with the API key
// or with JWTs from a small real issuer (its JWKS served by a local HTTP server). Each principal
// reaches the remote agent from its own derived address, replies come back to it through the
// reply grant, the remote can let one principal in and block another, anonymous callers keep the
// hosted identity, and a reply after gw1 restarts still completes its task.

import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskState, type Task } from '@a2a-js/sdk';
import type { Client } from '@a2a-js/sdk/client';
import { taskInState } from '../helpers/a2a-sdk-client.js';
import { capturedLog } from '../helpers/captured-log.js';
import { TestJwtIssuer } from '../helpers/jwt-issuer.js';
import { artifactText, asTask, clientFor, history, remoteEntry, request, startWorkspace, type Workspace } from '../helpers/principal-workspaces.js';
import { until } from '../helpers/until.js';

const AUDIENCE = 'toq-principal-identities-test';
const API_KEY = 'principal-identities-key-0123456789';
const DERIVED_NAME = /^a2a-[a-z2-7]{16}$/;

/** The agent name of a toq address (what follows the last '/'). */
const nameOf = (address: string): string => address.slice(address.lastIndexOf('/') + 1);

describe('a2a_principal_identities: each authenticated A2A principal speaks with its own derived toq identity', () => {
  let issuer: TestJwtIssuer;
  const gw2Log: Array<Record<string, unknown>> = [];
  let gw1: Workspace;
  let gw2: Workspace;
  let gw3: Workspace;
  let gw1Config: string;
  let tokens: { alice: string; zoe: string };

  const token = (sub: string): Promise<string> => issuer.token(sub, AUDIENCE);
  const bobUrl = (): string => `${gw1.url}/a2a/bob/`;
  const bobAddress = (): string => `toq://127.0.0.1:${gw1.daemon.port}/bob`;

  beforeAll(async () => {
    issuer = await TestJwtIssuer.start();
    tokens = { alice: await token('alice'), zoe: await token('zoe') };
    gw2 = await startWorkspace('carol', 'connection_mode = "open"\n', { handlers: true, log: capturedLog(gw2Log) });
    gw3 = await startWorkspace('dave', 'connection_mode = "approval"\n', { handlers: true });
    gw1Config =
      `a2a_enabled = true\na2a_principal_identities = true\na2a_api_key = "${API_KEY}"\n` +
      `a2a_jwt_issuer = "${issuer.origin}"\na2a_jwt_audience = "${AUDIENCE}"\na2a_jwt_jwks_url = "${issuer.origin}/jwks.json"\n` +
      `[agents.bob]\ntoq = "toq://127.0.0.1:${gw2.daemon.port}/carol"\n[agents.eve]\ntoq = "toq://127.0.0.1:${gw3.daemon.port}/dave"\n`;
    gw1 = await startWorkspace('gw', gw1Config);
  });
  afterAll(async () => {
    for (const ws of [gw1, gw2, gw3]) {
      if (ws === undefined) continue;
      await ws.daemon.stop();
      rmSync(ws.dir, { recursive: true, force: true });
    }
    await issuer?.close();
  });

  it('two JWT principals and the API key reach carol from three different derived addresses; each reply completes its own task', async () => {
    // The texts name caller 1, 2, 3, never the principal: whatever names it would be a leak.
    const callers = { alice: tokens.alice, zoe: tokens.zoe, key: API_KEY };
    const froms = new Map<string, string>();
    for (const [i, [who, credential]] of Object.entries(callers).entries()) {
      const client = await clientFor(bobUrl(), credential);
      const task = asTask(await client.sendMessage(request(`hi from caller ${i + 1}`)));
      expect(task.status?.state, who).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(artifactText(task), who).toBe(`remote: hi from caller ${i + 1}`);
      const entry = await remoteEntry(gw2.url, task.id);
      expect(entry.from.startsWith(`toq://127.0.0.1:${gw1.daemon.port}/`), who).toBe(true);
      expect(nameOf(entry.from), who).toMatch(DERIVED_NAME);
      expect(entry.from, who).not.toBe(bobAddress());
      // The principal's name is not disclosed in what carol receives.
      expect(JSON.stringify(entry), who).not.toMatch(/alice|zoe|jwt:|a2a-api-key/);
      froms.set(who, entry.from);
    }
    expect(new Set(froms.values()).size).toBe(3);

    // Deterministic: the same principal speaks from the same address again.
    const again = await clientFor(bobUrl(), tokens.alice);
    const second = asTask(await again.sendMessage(request('again')));
    expect((await remoteEntry(gw2.url, second.id)).from).toBe(froms.get('alice'));

    // The replies to the derived identities are bob's records on gw1 (DESIGN §3), not the local agent's.
    const bobHistory = await history(gw1.url, '&agent=bob');
    expect(bobHistory.map((m) => m.body?.text)).toEqual(expect.arrayContaining(['remote: hi from caller 1', 'remote: hi from caller 2', 'remote: hi from caller 3']));
    expect((await history(gw1.url)).some((m) => m.body?.text?.startsWith('remote: ') === true)).toBe(false);

    // The lossless probe dialed as the derived identities too: carol never saw a session from bob.
    const connections = ((await (await fetch(`${gw2.url}/v1/connections`)).json()) as { connections: Array<{ peer_address: string }> }).connections;
    expect(connections.map((c) => c.peer_address)).not.toContain(bobAddress());
    expect(connections.some((c) => c.peer_address === froms.get('alice'))).toBe(true);

    // bob's card still names bob only.
    const card = (await (await fetch(`${gw1.url}/a2a/bob/.well-known/agent-card.json`, { headers: { 'a2a-version': '1.0' } })).json()) as { capabilities: { extensions: Array<{ params: { address: string } }> } };
    expect(card.capabilities.extensions[0]?.params.address).toBe(bobAddress());
  });

  it('CancelTask: message.cancel comes from the identity that sent the message', async () => {
    const client = await clientFor(bobUrl(), tokens.zoe);
    const task = asTask(await client.sendMessage(request('silent', { returnImmediately: true })));
    const entry = await remoteEntry(gw2.url, task.id);
    expect(nameOf(entry.from)).toMatch(DERIVED_NAME);
    const canceled = await client.cancelTask({ tenant: '', id: task.id, metadata: undefined });
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    const seen = await until(() => gw2Log.find((l) => l['type'] === 'message.cancel'));
    expect(seen['peer']).toBe(entry.from);
  });

  it('a remote in approval mode lets one principal in and blocks the other, one by one', async () => {
    const eveUrl = `${gw1.url}/a2a/eve/`;
    type Pending = { public_key: string; address: string };
    const pending = async (): Promise<Pending[]> => ((await (await fetch(`${gw3.url}/v1/approvals`)).json()) as { approvals: Pending[] }).approvals;
    const alice = await clientFor(eveUrl, tokens.alice);
    const aliceTask = asTask(await alice.sendMessage(request('let me in', { returnImmediately: true })));
    const alicePending = await until(async () => (await pending())[0]);
    expect(nameOf(alicePending.address)).toMatch(DERIVED_NAME);
    const zoe = await clientFor(eveUrl, tokens.zoe);
    const zoeTask = asTask(await zoe.sendMessage(request('me too', { returnImmediately: true })));
    const zoePending = await until(async () => (await pending()).find((p) => p.public_key !== alicePending.public_key));
    expect(zoePending.address).not.toBe(alicePending.address);

    const post = (path: string, body?: unknown): Promise<Response> => fetch(`${gw3.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, ...(body !== undefined && { body: JSON.stringify(body) }) });
    expect((await post(`/v1/approvals/${encodeURIComponent(alicePending.public_key)}`, { decision: 'approve' })).status).toBe(200);
    expect((await post(`/v1/peers/${encodeURIComponent(zoePending.public_key)}/block`)).status).toBe(200);
    // The outbox would get there on its own; retrying now keeps the test short.
    const nudge = async (): Promise<void> => {
      const queued = ((await (await fetch(`${gw1.url}/v1/outbox?status=queued`)).json()) as { entries: Array<{ id: string }> }).entries;
      for (const entry of queued) await fetch(`${gw1.url}/v1/outbox/${entry.id}/retry`, { method: 'POST' });
    };
    // Not taskInState: every poll also nudges gw1's outbox, so the queued sends go out now.
    const settled = async (client: Client, id: string, state: TaskState): Promise<Task> =>
      until(async () => {
        await nudge();
        const task = await client.getTask({ tenant: '', id });
        return task.status?.state === state ? task : undefined;
      });
    expect(artifactText(await settled(alice, aliceTask.id, TaskState.TASK_STATE_COMPLETED))).toBe('remote: let me in');
    await settled(zoe, zoeTask.id, TaskState.TASK_STATE_FAILED);
    const daveHistory = await history(gw3.url);
    expect(daveHistory.find((m) => m.body?.a2a?.taskId === aliceTask.id)?.from).toBe(alicePending.address);
    expect(daveHistory.some((m) => m.body?.a2a?.taskId === zoeTask.id)).toBe(false);
  });

  it('gw1 restarts while a task waits: the derived identity is hosted again and a late reply completes the task', async () => {
    const before = await clientFor(bobUrl(), tokens.alice);
    const task = asTask(await before.sendMessage(request('silent', { returnImmediately: true })));
    const entry = await remoteEntry(gw2.url, task.id);
    expect(nameOf(entry.from)).toMatch(DERIVED_NAME);

    // Same workspace, same port (the derived address carries it).
    const port = gw1.daemon.port;
    await gw1.daemon.stop();
    gw1 = await startWorkspace('gw', gw1Config, { dir: gw1.dir, port });

    const reply = await fetch(`${gw2.url}/v1/messages?wait=false`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: entry.from, thread_id: entry.thread_id, body: { text: 'late answer' } }),
    });
    expect(reply.ok).toBe(true);
    const after = await clientFor(bobUrl(), tokens.alice);
    expect(artifactText(await taskInState(after, task.id, TaskState.TASK_STATE_COMPLETED))).toBe('late answer');

    // Derived again from the same master secret: the same principal keeps its address.
    const next = asTask(await after.sendMessage(request('after restart')));
    expect(artifactText(next)).toBe('remote: after restart');
    expect((await remoteEntry(gw2.url, next.id)).from).toBe(entry.from);
  });
});

describe('a2a_principal_identities with anonymous callers', () => {
  let gw2: Workspace;
  let gw1: Workspace;

  beforeAll(async () => {
    gw2 = await startWorkspace('carol', 'connection_mode = "open"\n', { handlers: true });
    gw1 = await startWorkspace('anon', `a2a_enabled = true\na2a_principal_identities = true\n[agents.bob]\ntoq = "toq://127.0.0.1:${gw2.daemon.port}/carol"\n`);
  });
  afterAll(async () => {
    for (const ws of [gw1, gw2]) {
      if (ws === undefined) continue;
      await ws.daemon.stop();
      rmSync(ws.dir, { recursive: true, force: true });
    }
  });

  it('anonymous callers (no auth configured) keep the hosted identity', async () => {
    const client = await clientFor(`${gw1.url}/a2a/bob/`, undefined);
    const task = asTask(await client.sendMessage(request('anonymous hi')));
    expect(artifactText(task)).toBe('remote: anonymous hi');
    expect((await remoteEntry(gw2.url, task.id)).from).toBe(`toq://127.0.0.1:${gw1.daemon.port}/bob`);
  });
});
