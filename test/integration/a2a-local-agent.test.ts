// A2A clients ↔ the local agent of a real daemon (DESIGN §5.2): the @a2a-js/sdk client over
// JSON-RPC and REST, v1.0 and v0.3, against `toq up` with a2a_enabled and a shell handler that
// answers through the reference's reply channel (POST /v1/messages with the A2A thread id).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalizeAgentCard, TaskState, type AgentCard, type StreamResponse } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory, RestTransportFactory, type Client } from '@a2a-js/sdk/client';
import { createLocalJWKSet, decodeProtectedHeader, flattenedVerify, type JSONWebKeySet } from 'jose';
import { artifactText, asTask, legacyClientFactory, onlyVersion, request, textOf } from '../helpers/a2a-sdk-client.js';
import { historyEntryFor, startWorkspace, stopWorkspaces, type Workspace } from '../helpers/daemons.js';
import { until } from '../helpers/until.js';

/** Replies "echo: <text>"; "ask" → input-required; "silent" → no reply at all. */
const HANDLER_JS =
  "const e=process.env,t=e.TOQ_TEXT;if(t!=='silent'){const b=t==='ask'?{text:'which one?',a2a:{state:'input-required'}}:{text:'echo: '+t};" +
  "fetch(e.TOQ_URL+'/v1/messages?wait=true',{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify({to:e.TOQ_FROM,thread_id:e.TOQ_THREAD_ID,body:b})}).then(r=>r.text()).then(console.log)}";
const HANDLERS_TOML = `[[handlers]]\nname = "echo"\ncommand = ${JSON.stringify(`node -e "${HANDLER_JS}"`)}\n`;

const A2A_ON = 'a2a_enabled = true\n';

/** The thread a task's message travelled on, read back from the local API's history. */
async function threadOf(url: string, taskId: string): Promise<string> {
  const threadId = (await historyEntryFor(url, taskId))?.thread_id;
  if (threadId === undefined) throw new Error(`no history entry for task ${taskId}`);
  return threadId;
}

/** What a handler does to answer: POST /v1/messages with the A2A thread id, `to` as TOQ_FROM. */
async function replyOnThread(url: string, threadId: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${url}/v1/messages?wait=true`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'a2a-client', thread_id: threadId, body }) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('A2A → local agent, one daemon with an echo handler', () => {
  let alice: Workspace;
  let client: Client;
  let card: AgentCard;

  beforeAll(async () => {
    alice = await startWorkspace('alice', A2A_ON, { handlersToml: HANDLERS_TOML });
    client = await new ClientFactory().createFromUrl(alice.url);
    card = await client.getAgentCard();
  });
  afterAll(async () => {
    await stopWorkspaces(alice);
  });

  it('discovers the card at both well-known paths, with the toq identity extension', async () => {
    expect(card.name).toBe('alice (toq)');
    expect(card.capabilities?.extensions[0]?.params).toEqual({ address: alice.daemon.address, publicKey: expect.stringMatching(/^ed25519:/) });
    const legacy = (await (await fetch(`${alice.url}/.well-known/agent.json`)).json()) as Record<string, unknown>;
    expect(legacy['url']).toBe(`${alice.url}/a2a`);
  });

  it('the v1.0 card is signed (EdDSA, DESIGN §4) and verifies against the JWKS published at /.well-known/jwks.json', async () => {
    const served = (await (await fetch(`${alice.url}/.well-known/agent-card.json`, { headers: { 'a2a-version': '1.0' } })).json()) as Record<string, unknown>;
    const jwksResponse = await fetch(`${alice.url}/.well-known/jwks.json`);
    expect(jwksResponse.headers.get('content-type')).toBe('application/jwk-set+json');
    const jwks = (await jwksResponse.json()) as JSONWebKeySet;
    const [signature] = served['signatures'] as Array<{ protected: string; signature: string }>;
    expect(decodeProtectedHeader(signature!)).toMatchObject({ alg: 'EdDSA', typ: 'JOSE', jku: `${alice.url}/.well-known/jwks.json` });
    const payload = Buffer.from(canonicalizeAgentCard(served as unknown as AgentCard)).toString('base64url');
    await flattenedVerify({ payload, protected: signature!.protected, signature: signature!.signature }, createLocalJWKSet(jwks));
    // The JWKS key is the toq identity named in the card.
    const x = Buffer.from(jwks.keys[0]!.x!, 'base64url').toString('base64');
    expect(card.capabilities?.extensions[0]?.params?.['publicKey']).toBe(`ed25519:${x}`);
  });

  it('SendMessage (blocking, v1.0 JSON-RPC): the handler replies, the task completes with the reply', async () => {
    const task = asTask(await client.sendMessage(request('hi')));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactText(task)).toBe('echo: hi');
    expect(textOf(task.status?.message)).toBe('echo: hi');
    expect(textOf(task.history[0])).toBe('hi');
  });

  it('the request is in history as message.send from a2a-client, with the A2A ids and a hashed thread', async () => {
    const task = asTask(await client.sendMessage(request('history please')));
    const history = (await (await fetch(`${alice.url}/v1/messages/history?limit=1000`)).json()) as { messages: Array<Record<string, unknown>> };
    const entry = history.messages.find((m) => (m['body'] as { a2a?: { taskId?: string } }).a2a?.taskId === task.id);
    expect(entry).toMatchObject({ type: 'message.send', from: 'a2a-client', content_type: 'application/json', body: { text: 'history please', parts: [{ text: 'history please' }], a2a: { taskId: task.id, contextId: task.contextId } } });
    expect(entry?.['thread_id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8/);
    expect(entry?.['thread_id']).not.toBe(task.contextId);
  });

  it('the same context keeps the same thread', async () => {
    const first = asTask(await client.sendMessage(request('one')));
    const second = asTask(await client.sendMessage(request('two', { contextId: first.contextId })));
    expect(second.id).not.toBe(first.id);
    expect(await threadOf(alice.url, second.id)).toBe(await threadOf(alice.url, first.id));
  });

  it('SendStreamingMessage: task, working, the artifact, completed', async () => {
    const events: StreamResponse[] = [];
    for await (const event of client.sendMessageStream(request('streamed'))) events.push(event);
    const kinds = events.map((e) => e.payload?.$case);
    expect(kinds[0]).toBe('task');
    expect(kinds).toContain('artifactUpdate');
    const last = events.at(-1)!.payload;
    expect(last?.$case === 'statusUpdate' && last.value.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  it('GetTask and ListTasks find the task; history length is honoured', async () => {
    const task = asTask(await client.sendMessage(request('find me')));
    const got = await client.getTask({ tenant: '', id: task.id, historyLength: 1 });
    expect(got.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(got.history).toHaveLength(1);
    const listed = await client.listTasks({ tenant: '', contextId: task.contextId, status: TaskState.TASK_STATE_UNSPECIFIED, pageToken: '', statusTimestampAfter: undefined, pageSize: 10 });
    expect(listed.tasks.map((t) => t.id)).toEqual([task.id]);
    expect(listed.pageSize).toBe(1);
  });

  it('input-required: the reply names the state, the follow-up on the same task completes it', async () => {
    const asked = asTask(await client.sendMessage(request('ask')));
    expect(asked.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(textOf(asked.status?.message)).toBe('which one?');
    const answered = asTask(await client.sendMessage(request('the blue one', { taskId: asked.id, contextId: asked.contextId })));
    expect(answered.id).toBe(asked.id);
    expect(answered.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactText(answered)).toBe('echo: the blue one');
  });

  it('a blocking send with no reply answers after blocking_timeout, still working; a late reply completes the stored task', async () => {
    const started = Date.now();
    const task = asTask(await client.sendMessage(request('silent')));
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(task.status?.state).toBe(TaskState.TASK_STATE_WORKING);
    const reply = await replyOnThread(alice.url, await threadOf(alice.url, task.id), { text: 'sorry, late' });
    expect(reply.status).toBe(200);
    expect(reply.json).toMatchObject({ status: 'delivered', thread_id: await threadOf(alice.url, task.id) });
    const done = await client.getTask({ tenant: '', id: task.id });
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactText(done)).toBe('sorry, late');
  });

  it('SubscribeToTask: the snapshot first, then the reply as it arrives', async () => {
    const task = asTask(await client.sendMessage(request('silent', { returnImmediately: true })));
    const threadId = await threadOf(alice.url, task.id);
    const events: StreamResponse[] = [];
    const done = (async () => {
      for await (const event of client.resubscribeTask({ tenant: '', id: task.id })) {
        events.push(event);
      }
    })();
    await until(async () => (events.length > 0 ? true : undefined));
    expect(events[0]?.payload?.$case).toBe('task');
    await replyOnThread(alice.url, threadId, { text: 'pushed', a2a: { state: 'completed' } });
    await done;
    const last = events.at(-1)!.payload;
    expect(last?.$case === 'statusUpdate' && last.value.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(events.some((e) => e.payload?.$case === 'artifactUpdate')).toBe(true);
  });

  it('CancelTask: canceled at once; a later reply on the thread is dropped (still answered 200)', async () => {
    const task = asTask(await client.sendMessage(request('silent', { returnImmediately: true })));
    const canceled = await client.cancelTask({ tenant: '', id: task.id, metadata: undefined });
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    const reply = await replyOnThread(alice.url, await threadOf(alice.url, task.id), { text: 'too late' });
    expect(reply.status).toBe(200);
    const after = await client.getTask({ tenant: '', id: task.id });
    expect(after.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    expect(after.artifacts).toEqual([]);
  });

  it('an unknown task id: TaskNotFound', async () => {
    await expect(client.getTask({ tenant: '', id: 'no-such-task' })).rejects.toThrow(/not found/i);
  });

  it('v0.3 JSON-RPC client (legacyCompat): message/send completes', async () => {
    const legacy = await legacyClientFactory('JSONRPC').createFromAgentCard(onlyVersion(card, '0.3'));
    expect(legacy.protocolVersion).toBe('0.3');
    const task = asTask(await legacy.sendMessage(request('old hi')));
    expect(artifactText(task)).toBe('echo: old hi');
    const events: StreamResponse[] = [];
    for await (const event of legacy.sendMessageStream(request('old stream'))) events.push(event);
    expect(events.at(-1)?.payload?.$case === 'statusUpdate' && events.at(-1)?.payload?.value).toMatchObject({ status: { state: TaskState.TASK_STATE_COMPLETED } });
  });

  it('REST clients, v1.0 and v0.3: send and get', async () => {
    for (const version of ['1.0', '0.3']) {
      const rest = await legacyClientFactory('HTTP+JSON').createFromAgentCard(onlyVersion(card, version));
      const task = asTask(await rest.sendMessage(request(`rest ${version}`)));
      expect(artifactText(task)).toBe(`echo: rest ${version}`);
      expect((await rest.getTask({ tenant: '', id: task.id })).status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    }
  });

  it('a normal toq send is not taken by the reply channel', async () => {
    const res = await fetch(`${alice.url}/v1/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ to: 'a2a-client', thread_id: 'not-an-a2a-thread', body: { text: 'x' } }) });
    expect(res.status).toBe(400);
  });
});

describe('A2A → local agent, other setups', () => {
  it('no handler and no listener: the task fails at once', async () => {
    const bob = await startWorkspace('bob', A2A_ON);
    try {
      const client = await new ClientFactory().createFromUrl(bob.url);
      const started = Date.now();
      const task = asTask(await client.sendMessage(request('anyone?')));
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(task.status?.state).toBe(TaskState.TASK_STATE_FAILED);
      expect(textOf(task.status?.message)).toBe('no handler or listener for agent bob');
    } finally {
      await stopWorkspaces(bob);
    }
  });

  it('a2a_enabled = false: no A2A routes', async () => {
    const off = await startWorkspace('off', 'a2a_enabled = false\n');
    try {
      expect((await fetch(`${off.url}/.well-known/agent-card.json`)).status).toBe(404);
      expect((await fetch(`${off.url}/a2a`, { method: 'POST', body: '{}' })).status).toBe(404);
    } finally {
      await stopWorkspaces(off);
    }
  });

  it('a2a_api_key: the card declares bearer; no key or a wrong key is 401; the right key works', async () => {
    const carol = await startWorkspace('carol', 'a2a_enabled = true\na2a_api_key = "s3cret-key"\n', { handlersToml: HANDLERS_TOML });
    try {
      const card = (await (await fetch(`${carol.url}/.well-known/agent-card.json`, { headers: { 'a2a-version': '1.0' } })).json()) as Record<string, unknown>;
      expect(card['securityRequirements']).toEqual([{ schemes: { bearer: {} } }]);
      const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message: { messageId: 'x', role: 'ROLE_USER', parts: [{ text: 'hi' }] } } });
      for (const authorization of [undefined, 'Bearer wrong', 's3cret-key']) {
        const res = await fetch(`${carol.url}/a2a`, { method: 'POST', headers: { 'content-type': 'application/json', 'a2a-version': '1.0', ...(authorization && { authorization }) }, body });
        expect(res.status).toBe(401);
        expect(await res.json()).toEqual({ jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Unauthorized' } });
      }
      const authed: typeof fetch = (input, init) => fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers).entries()), authorization: 'Bearer s3cret-key' } });
      const factory = new ClientFactory(
        ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
          transports: [new JsonRpcTransportFactory({ fetchImpl: authed }), new RestTransportFactory({ fetchImpl: authed })],
          cardResolver: new DefaultAgentCardResolver({ fetchImpl: authed }),
        }),
      );
      const client = await factory.createFromUrl(carol.url);
      expect(artifactText(asTask(await client.sendMessage(request('with key'))))).toBe('echo: with key');
    } finally {
      await stopWorkspaces(carol);
    }
  });

  it('restart mid-task: the task and its thread survive, and a reply after the restart completes it', async () => {
    let dave = await startWorkspace('dave', A2A_ON, { handlersToml: HANDLERS_TOML });
    try {
      let client = await new ClientFactory().createFromUrl(dave.url);
      const task = asTask(await client.sendMessage(request('silent', { returnImmediately: true })));
      const threadId = await threadOf(dave.url, task.id);
      await dave.daemon.stop();

      dave = await startWorkspace('dave', A2A_ON, { dir: dave.dir });
      client = await new ClientFactory().createFromUrl(dave.url);
      expect((await client.getTask({ tenant: '', id: task.id })).status?.state).toBe(TaskState.TASK_STATE_WORKING);
      const reply = await replyOnThread(dave.url, threadId, { text: 'back again' });
      expect(reply.status).toBe(200);
      const done = await client.getTask({ tenant: '', id: task.id });
      expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
      expect(artifactText(done)).toBe('back again');
    } finally {
      await stopWorkspaces(dave);
    }
  });
});
