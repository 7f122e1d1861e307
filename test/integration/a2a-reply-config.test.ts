// The a2a_reply_state / a2a_blocking_timeout keys and the toq-upstream table overrides
// reply_state / blocking_timeout (DESIGN §5.2), through real daemons and the @a2a-js/sdk client.
// gw2 hosts carol, a plain toq agent answering through a shell handler; gw1 has a2a_enabled with
// a2a_reply_state = "input-required" and a2a_blocking_timeout = 1, a local agent alice with an
// echo handler, and two toq-upstream agents for carol: dave (inherits the top-level keys) and bob
// (`reply_state = "completed"`). No daemon here gets the a2aBlockingTimeoutMs test option: the
// config alone decides.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendMessageRequest, TaskState, type Message, type Task } from '@a2a-js/sdk';
import { ClientFactory, type Client } from '@a2a-js/sdk/client';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';

/** Replies `<prefix>: <text>` without naming a state; "silent" → no reply at all. */
function handlersToml(name: string, prefix: string): string {
  const js =
    `const e=process.env,t=e.TOQ_TEXT;if(t!=='silent'){fetch(e.TOQ_URL+'/v1/messages?wait=true',{method:'POST',headers:{'content-type':'application/json'},` +
    `body:JSON.stringify({to:e.TOQ_FROM,thread_id:e.TOQ_THREAD_ID,body:{text:'${prefix}: '+t}})}).then(r=>r.text()).then(console.log)}`;
  return `[[handlers]]\nname = "${name}"\nfilter_type = ["message.send"]\ncommand = ${JSON.stringify(`node -e "${js}"`)}\n`;
}

interface RunningDaemon {
  readonly daemon: Daemon;
  readonly url: string;
  readonly dir: string;
}

async function startWorkspace(name: string, config: string, handlers: string): Promise<RunningDaemon> {
  const dir = mkdtempSync(join(tmpdir(), `toq-reply-${name}-`));
  writeFileSync(join(dir, 'config.toml'), `host = "127.0.0.1"\n${config}`);
  writeFileSync(join(dir, 'handlers.toml'), handlers);
  const daemon = await startDaemon({ configDir: dir, log: pino({ level: process.env['TEST_LOG'] ?? 'silent' }), port: 0, bindAddress: '127.0.0.1', overrides: { agentName: name }, outboxBackoffMs: [50, 100, 200] });
  return { daemon, url: `http://127.0.0.1:${daemon.port}`, dir };
}

const request = (text: string, extra: { taskId?: string; contextId?: string } = {}): SendMessageRequest =>
  SendMessageRequest.fromJSON({ message: { messageId: `m-${Math.random()}`, role: 'ROLE_USER', parts: [{ text }], ...(extra.taskId && { taskId: extra.taskId }), ...(extra.contextId && { contextId: extra.contextId }) } });

const textOf = (message: Message | undefined): string => (message?.parts ?? []).map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');

function asTask(result: Message | Task): Task {
  if (!('status' in result)) throw new Error('expected a task, got a message');
  return result;
}

/** The thread a task's message travelled on, from the local API's history (the body keeps the A2A ids). */
async function threadOf(url: string, taskId: string): Promise<string> {
  const history = (await (await fetch(`${url}/v1/messages/history?limit=1000`)).json()) as { messages: Array<{ thread_id: string; body?: { a2a?: { taskId?: string } } }> };
  const entry = history.messages.find((m) => m.body?.a2a?.taskId === taskId);
  if (entry === undefined) throw new Error(`no history entry for task ${taskId}`);
  return entry.thread_id;
}

describe('a2a_reply_state / a2a_blocking_timeout and their toq-upstream overrides', () => {
  let gw1: RunningDaemon;
  let gw2: RunningDaemon;
  let alice: Client;
  let bob: Client;
  let dave: Client;

  beforeAll(async () => {
    gw2 = await startWorkspace('carol', 'connection_mode = "open"\n', handlersToml('carol', 'carol'));
    const carol = `toq://127.0.0.1:${gw2.daemon.port}/carol`;
    gw1 = await startWorkspace(
      'alice',
      `a2a_enabled = true\na2a_reply_state = "input-required"\na2a_blocking_timeout = 1\n[agents.bob]\ntoq = "${carol}"\nreply_state = "completed"\n[agents.dave]\ntoq = "${carol}"\n`,
      handlersToml('echo', 'echo'),
    );
    const factory = new ClientFactory();
    [alice, bob, dave] = await Promise.all([factory.createFromUrl(gw1.url), factory.createFromUrl(`${gw1.url}/a2a/bob/`), factory.createFromUrl(`${gw1.url}/a2a/dave/`)]);
  });
  afterAll(async () => {
    for (const gw of [gw1, gw2]) {
      if (gw === undefined) continue;
      await gw.daemon.stop();
      rmSync(gw.dir, { recursive: true, force: true });
    }
  });

  it('local agent, a2a_reply_state = "input-required": a plain reply leaves the task input-required; a follow-up continues the same task', async () => {
    const first = asTask(await alice.sendMessage(request('hi')));
    expect(first.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(textOf(first.status?.message)).toBe('echo: hi');
    const next = asTask(await alice.sendMessage(request('and more', { taskId: first.id, contextId: first.contextId })));
    expect(next.id).toBe(first.id);
    expect(next.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(textOf(next.status?.message)).toBe('echo: and more');
    expect(next.history.map(textOf)).toEqual(expect.arrayContaining(['hi', 'and more']));
  });

  it('local agent, a2a_blocking_timeout = 1: a blocking send with no reply answers working; a late reply still updates the stored task', async () => {
    const task = asTask(await alice.sendMessage(request('silent')));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_WORKING);
    const threadId = await threadOf(gw1.url, task.id);
    const res = await fetch(`${gw1.url}/v1/messages?wait=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'a2a-client', thread_id: threadId, body: { text: 'late, and final', a2a: { state: 'completed' } } }),
    });
    expect(res.status).toBe(200);
    const done = await alice.getTask({ tenant: '', id: task.id });
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(textOf(done.status?.message)).toBe('late, and final');
  });

  it('toq upstream dave (no table override): inherits input-required; a follow-up continues the same task on the same toq thread', async () => {
    const first = asTask(await dave.sendMessage(request('hello carol')));
    expect(first.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(textOf(first.status?.message)).toBe('carol: hello carol');
    const next = asTask(await dave.sendMessage(request('one more', { taskId: first.id, contextId: first.contextId })));
    expect(next.id).toBe(first.id);
    expect(next.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(textOf(next.status?.message)).toBe('carol: one more');
    const history = (await (await fetch(`${gw2.url}/v1/messages/history?limit=1000`)).json()) as { messages: Array<{ thread_id: string; body?: { a2a?: { taskId?: string } } }> };
    const received = history.messages.filter((m) => m.body?.a2a?.taskId === first.id);
    expect(received).toHaveLength(2);
    expect(new Set(received.map((m) => m.thread_id)).size).toBe(1);
  });

  it('toq upstream bob (reply_state = "completed" in its table) overrides the top-level input-required', async () => {
    const task = asTask(await bob.sendMessage(request('hi bob')));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(textOf(task.status?.message)).toBe('carol: hi bob');
  });

  it('toq upstream, top-level a2a_blocking_timeout = 1: a blocking send nobody answers returns working', async () => {
    const task = asTask(await bob.sendMessage(request('silent')));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_WORKING);
  });
});
