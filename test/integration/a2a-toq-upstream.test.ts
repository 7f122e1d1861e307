// A2A clients → a remote toq agent through a toq-upstream agent (DESIGN §3, §5.2): gw1 hosts
// `[agents.bob] toq = "toq://127.0.0.1:<gw2>/carol"` and serves it at /a2a/bob; gw2's local agent
// carol answers through a shell handler (reply channel, or a local-API stream). The
// @a2a-js/sdk client (v1.0 and v0.3) talks to gw1 only; everything reaches carol over toq.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TaskState, type AgentCard, type Message, type StreamResponse, type Task } from '@a2a-js/sdk';
import { ClientFactory, type Client } from '@a2a-js/sdk/client';
import { artifactText, asTask, legacyClientFactory, onlyVersion, request, taskInState, textOf } from '../helpers/a2a-sdk-client.js';
import { capturedLog } from '../helpers/captured-log.js';
import { historyEntryFor, startWorkspace, stopWorkspaces, type Workspace } from '../helpers/daemons.js';
import { until } from '../helpers/until.js';

/** "silent" → no answer; "stream" → a local-API stream a, b, then end c; else "carol: <text>". */
const HANDLER_JS =
  "const e=process.env,t=e.TOQ_TEXT,u=e.TOQ_URL,j=(p,b)=>fetch(u+p,{method:'POST',headers:{'content-type':'application/json'},body:JSON.stringify(b)}).then(r=>r.json());" +
  "(async()=>{if(t==='silent')return;if(t==='stream'){const s=await j('/v1/stream/start',{to:e.TOQ_FROM,thread_id:e.TOQ_THREAD_ID});" +
  "await j('/v1/stream/chunk',{stream_id:s.stream_id,text:'a'});await j('/v1/stream/chunk',{stream_id:s.stream_id,text:'b'});await j('/v1/stream/end',{stream_id:s.stream_id,text:'c'});return}" +
  "console.log(JSON.stringify(await j('/v1/messages?wait=true',{to:e.TOQ_FROM,thread_id:e.TOQ_THREAD_ID,body:{text:'carol: '+t}})))})()";
const HANDLERS_TOML = `[[handlers]]\nname = "carol"\nfilter_type = ["message.send"]\ncommand = ${JSON.stringify(`node -e "${HANDLER_JS}"`)}\n`;

/** gw2's log lines, to see what its toq sessions received (message.cancel is logged, not delivered). */
const gw2Log: Array<Record<string, unknown>> = [];

/** Outbox retries after 50, 100, 200 ms (the default starts at 1 s), so retries fit in outbox_ttl = 1 s. */
const OUTBOX_BACKOFF_MS = [50, 100, 200];

describe('A2A → toq upstream agent bob (gw1) → carol (gw2) over toq', () => {
  let gw1: Workspace;
  let gw2: Workspace;
  let client: Client;
  let card: AgentCard;

  beforeAll(async () => {
    gw2 = await startWorkspace('carol', 'connection_mode = "open"\n', { handlersToml: HANDLERS_TOML, log: capturedLog(gw2Log), outboxBackoffMs: OUTBOX_BACKOFF_MS });
    gw1 = await startWorkspace(
      'gw',
      `a2a_enabled = true\na2a_default_agent = "bob"\noutbox_ttl = 1\n[agents.bob]\ntoq = "toq://127.0.0.1:${gw2.daemon.port}/carol"\n[agents.ghost]\ntoq = "toq://127.0.0.1:1/nobody"\n`,
      { outboxBackoffMs: OUTBOX_BACKOFF_MS },
    );
    client = await new ClientFactory().createFromUrl(`${gw1.url}/a2a/bob/`);
    card = await client.getAgentCard();
  });
  afterAll(async () => {
    await stopWorkspaces(gw1, gw2);
  });

  it("bob's card at /a2a/bob names bob's toq address and key, and the /a2a/bob endpoints", async () => {
    const bobKey = gw1.daemon.hosted.identities.get('bob')!.publicKeyText;
    expect(card.capabilities?.extensions[0]?.params).toEqual({ address: `toq://127.0.0.1:${gw1.daemon.port}/bob`, publicKey: bobKey });
    expect(bobKey).not.toBe(gw1.daemon.hosted.identities.get('ghost')!.publicKeyText);
    expect(card.supportedInterfaces.map((i) => i.url)).toContain(`${gw1.url}/a2a/bob`);
    const legacy = (await (await fetch(`${gw1.url}/a2a/bob/.well-known/agent-card.json`)).json()) as Record<string, unknown>;
    expect(legacy['url']).toBe(`${gw1.url}/a2a/bob`);
  });

  it('a2a_default_agent = "bob": the root card is bob\'s', async () => {
    const root = (await (await fetch(`${gw1.url}/.well-known/agent-card.json`, { headers: { 'a2a-version': '1.0' } })).json()) as { name: string; capabilities: { extensions: Array<{ params: { address: string } }> } };
    expect(root.name).toBe('bob');
    expect(root.capabilities.extensions[0]?.params.address).toBe(`toq://127.0.0.1:${gw1.daemon.port}/bob`);
    expect((await fetch(`${gw1.url}/a2a/nobody/.well-known/agent-card.json`)).status).toBe(404);
  });

  it('JSON-RPC at /a2a/ (default agent) and /a2a/bob/ (trailing slash) is served', async () => {
    for (const path of ['/a2a/', '/a2a/bob/']) {
      const res = await fetch(`${gw1.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'a2a-version': '1.0' }, body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'GetTask', params: { id: 'nope' } }) });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { error?: { code: number } }).error?.code).toBe(-32001);
    }
  });

  it('SendMessage (blocking): carol receives message.send from bob with the A2A ids and answers; the task completes', async () => {
    const started = performance.now();
    const task = asTask(await client.sendMessage(request('hi')));
    const elapsedMs = performance.now() - started;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactText(task)).toBe('carol: hi');
    expect(textOf(task.status?.message)).toBe('carol: hi');
    const entry = await historyEntryFor(gw2.url, task.id);
    expect(entry).toMatchObject({ type: 'message.send', from: `toq://127.0.0.1:${gw1.daemon.port}/bob`, body: { text: 'hi', parts: [{ text: 'hi' }], a2a: { taskId: task.id, contextId: task.contextId } } });
    expect(entry?.['thread_id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8/);
    // Measured round trip (client → gw1 → toq → gw2 → node handler → toq → gw1 → client).
    console.log(`toq upstream blocking SendMessage round trip: ${elapsedMs.toFixed(0)} ms`);
  });

  it('multi-turn: the same contextId stays on one toq thread', async () => {
    const first = asTask(await client.sendMessage(request('one')));
    const second = asTask(await client.sendMessage(request('two', { contextId: first.contextId })));
    expect(second.id).not.toBe(first.id);
    expect(artifactText(second)).toBe('carol: two');
    const threadOf = async (task: Task) => (await historyEntryFor(gw2.url, task.id))?.['thread_id'];
    expect(await threadOf(second)).toBe(await threadOf(first));
    const other = asTask(await client.sendMessage(request('three')));
    expect(await threadOf(other)).not.toBe(await threadOf(first));
  });

  it('SendStreamingMessage: carol streams; chunks become artifact updates (append false, then true; last chunk), then completed', async () => {
    const events: StreamResponse[] = [];
    for await (const event of client.sendMessageStream(request('stream'))) events.push(event);
    expect(events[0]?.payload?.$case).toBe('task');
    const chunks = events.flatMap((e) => (e.payload?.$case === 'artifactUpdate' ? [e.payload.value] : []));
    expect(chunks.map((c) => [textOf({ parts: c.artifact?.parts ?? [] } as unknown as Message), c.append, c.lastChunk])).toEqual([
      ['a', false, false],
      ['b', true, false],
      ['c', true, true],
    ]);
    const last = events.at(-1)!.payload;
    expect(last?.$case === 'statusUpdate' && last.value.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const stored = await client.getTask({ tenant: '', id: chunks[0]!.taskId });
    expect(artifactText(stored)).toBe('abc');
  });

  it('GetTask finds the task', async () => {
    const task = asTask(await client.sendMessage(request('find me')));
    const got = await client.getTask({ tenant: '', id: task.id, historyLength: 1 });
    expect(got.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(got.history).toHaveLength(1);
  });

  it('no answer: a blocking send returns working after blocking_timeout; CancelTask → canceled at once and carol gets message.cancel', async () => {
    const task = asTask(await client.sendMessage(request('silent')));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_WORKING);
    const entry = await until(() => historyEntryFor(gw2.url, task.id));
    const canceled = await client.cancelTask({ tenant: '', id: task.id, metadata: undefined });
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    const seen = await until(() => gw2Log.find((l) => l['type'] === 'message.cancel'));
    expect(seen['peer']).toBe(`toq://127.0.0.1:${gw1.daemon.port}/bob`);
    expect(entry['id']).toBeDefined();
    expect((await client.getTask({ tenant: '', id: task.id })).status?.state).toBe(TaskState.TASK_STATE_CANCELED);
  });

  it('v0.3 JSON-RPC and REST (v1.0, v0.3) clients reach carol through /a2a/bob', async () => {
    const legacy = await legacyClientFactory('JSONRPC').createFromAgentCard(onlyVersion(card, '0.3'));
    expect(artifactText(asTask(await legacy.sendMessage(request('old hi'))))).toBe('carol: old hi');
    for (const version of ['1.0', '0.3']) {
      const rest = await legacyClientFactory('HTTP+JSON').createFromAgentCard(onlyVersion(card, version));
      const task = asTask(await rest.sendMessage(request(`rest ${version}`)));
      expect(artifactText(task)).toBe(`carol: rest ${version}`);
      expect((await rest.getTask({ tenant: '', id: task.id })).status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    }
  });

  it('an unreachable toq agent: the task fails once outbox_ttl runs out, saying unreachable', async () => {
    const ghost = await new ClientFactory().createFromUrl(`${gw1.url}/a2a/ghost/`);
    const task = asTask(await ghost.sendMessage(request('anyone?', { returnImmediately: true })));
    const failed = await taskInState(ghost, task.id, TaskState.TASK_STATE_FAILED);
    expect(textOf(failed.status?.message)).toMatch(/toq:\/\/127\.0\.0\.1:1\/nobody unreachable/);
  });
});
