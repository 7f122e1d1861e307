// DESIGN §5.2 "system.error with related_id = our message → task failed with the error text": a
// real daemon (gw) hosts `[agents.bob] toq = "toq://127.0.0.1:<peer>/carol"` in approval mode;
// carol is a real toq gateway on loopback (our transport) that acks bob's message and then says
// system.error about it, on the session the message came on or on a connection of its own. The
// A2A caller (@a2a-js/sdk client, v1.0; a raw v0.3 JSON-RPC read) sees the task FAILED with the
// text. duplicate_message after the ack, and any error after the task ended, change nothing.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendMessageRequest, TaskState, type Task } from '@a2a-js/sdk';
import { ClientFactory, type Client } from '@a2a-js/sdk/client';
import type { Daemon } from '../../src/daemon/daemon.js';
import type { Envelope } from '../../src/protocol/envelope.js';
import type { ToqSession } from '../../src/transport/toq-session.js';
import { asTask, request as a2aRequest, taskInState, textOf } from '../helpers/a2a-sdk-client.js';
import { capturedLog } from '../helpers/captured-log.js';
import { startWorkspace, stopWorkspaces, type Workspace } from '../helpers/daemons.js';
import { startTestGateway, type TestGateway } from '../helpers/gateways.js';
import { until } from '../helpers/until.js';

/** What carol received: each message with the session it came on. */
interface Received {
  readonly envelope: Envelope;
  readonly session: ToqSession;
}

const received: Received[] = [];
/** gw's log lines, to see when it has handled a notice that changes nothing visible. */
const gwLog: Array<Record<string, unknown>> = [];

/** Every send here returns at once; the tests wait for the task's state themselves. */
const request = (text: string): SendMessageRequest => a2aRequest(text, { returnImmediately: true });

/** The message.send carol got for this task (its body keeps the A2A ids). */
function receivedFor(taskId: string): Received | undefined {
  return received.find((r) => (r.envelope.body as { a2a?: { taskId?: string } } | undefined)?.a2a?.taskId === taskId);
}

describe('A2A → toq upstream: a system.error after the ack', () => {
  let carol: TestGateway;
  let workspace: Workspace;
  let gw: Daemon;
  let url: string;
  let client: Client;
  let carolAddress: string;
  let bobAddress: string;

  beforeAll(async () => {
    carol = await startTestGateway('carol', {
      host: '127.0.0.1',
      onMessage: (envelope, session) => {
        received.push({ envelope, session });
        // Acked as soon as this returns; the error follows the ack on the same session.
        if ((envelope.body as { text?: string } | undefined)?.text === 'fail right after the ack') {
          setImmediate(() => void session.send({ type: 'system.error', body: { code: 'agent_unavailable', message: 'carol lost her upstream', related_id: envelope.id } }));
        }
      },
    });
    carolAddress = `toq://127.0.0.1:${carol.port}/carol`;
    // Approval mode (the default): carol is heard only on the threads bob opened with her.
    workspace = await startWorkspace('gw', `a2a_enabled = true\n[agents.bob]\ntoq = "${carolAddress}"\n`, { log: capturedLog(gwLog) });
    gw = workspace.daemon;
    url = workspace.url;
    bobAddress = `toq://127.0.0.1:${gw.port}/bob`;
    client = await new ClientFactory().createFromUrl(`${url}/a2a/bob/`);
  });
  afterAll(async () => {
    await stopWorkspaces(workspace);
    await carol?.close();
  });

  /** Sends `text` to bob; resolves once carol has it and gw's outbox counts it delivered (acked). */
  async function sendAndAck(text: string): Promise<{ task: Task; got: Received }> {
    const task = asTask(await client.sendMessage(request(text)));
    const got = await until(() => receivedFor(task.id));
    await until(() => (gw.outbox.get(got.envelope.id)?.status === 'delivered' ? true : undefined));
    return { task, got };
  }

  const stateOf = async (taskId: string): Promise<Task> => client.getTask({ tenant: '', id: taskId });
  const failedTask = (taskId: string): Promise<Task> => taskInState(client, taskId, TaskState.TASK_STATE_FAILED);
  const loggedAbout = (related: string, msg: string): Promise<Record<string, unknown>> => until(() => gwLog.find((l) => l['related'] === related && l['msg'] === msg));

  it('a peer that acks, then sends system.error on the same session: the task fails with the error text', async () => {
    const task = asTask(await client.sendMessage(request('fail right after the ack')));
    const got = await until(() => receivedFor(task.id));
    const failed = await failedTask(task.id);
    expect(textOf(failed.status?.message)).toBe(`toq agent ${carolAddress} accepted the message, then reported an error (agent_unavailable: carol lost her upstream)`);
    // The message was delivered (acked): the failure is the error's, not the outbox's.
    expect(gw.outbox.get(got.envelope.id)?.status).toBe('delivered');
    // A v0.3 client reads the same task: failed, with the text.
    const res = await fetch(`${url}/a2a/bob`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tasks/get', params: { id: task.id } }) });
    const legacy = (await res.json()) as { result: { kind: string; status: { state: string; message: { parts: Array<{ kind: string; text: string }> } } } };
    expect(legacy.result.kind).toBe('task');
    expect(legacy.result.status.state).toBe('failed');
    expect(legacy.result.status.message.parts[0]?.text).toContain('carol lost her upstream');
  });

  it('system.error on a connection the peer opens (approval mode, reply grant only): the task fails; no approval request', async () => {
    const { task, got } = await sendAndAck('fail later, over my own connection');
    expect((await stateOf(task.id)).status?.state).toBe(TaskState.TASK_STATE_WORKING);
    // carol dials bob herself (a new session, target_agent bob), as a reference peer answers.
    await carol.send(bobAddress, { type: 'system.error', body: { code: 'handler_crashed', message: 'exit status 2', related_id: got.envelope.id } });
    const failed = await failedTask(task.id);
    expect(textOf(failed.status?.message)).toBe(`toq agent ${carolAddress} accepted the message, then reported an error (handler_crashed: exit status 2)`);
    const approvals = (await (await fetch(`${url}/v1/approvals`)).json()) as { approvals: unknown[] };
    expect(approvals.approvals).toEqual([]);
  });

  it('duplicate_message after the ack: the task keeps working and the reply completes it', async () => {
    const { task, got } = await sendAndAck('tell me twice');
    await got.session.send({ type: 'system.error', body: { code: 'duplicate_message', message: 'already received', related_id: got.envelope.id } });
    await loggedAbout(got.envelope.id, 'toq upstream: system.error counts as delivered');
    expect((await stateOf(task.id)).status?.state).toBe(TaskState.TASK_STATE_WORKING);
    await carol.send(bobAddress, { type: 'message.send', thread_id: got.envelope.thread_id!, reply_to: got.envelope.id, body: { text: 'carol: once is enough' } });
    const done = await taskInState(client, task.id, TaskState.TASK_STATE_COMPLETED);
    expect(textOf(done.status?.message)).toBe('carol: once is enough');
  });

  it('a system.error after the task completed is ignored: the task stays completed', async () => {
    const { task, got } = await sendAndAck('answer, then complain');
    await carol.send(bobAddress, { type: 'message.send', thread_id: got.envelope.thread_id!, reply_to: got.envelope.id, body: { text: 'carol: done' } });
    await taskInState(client, task.id, TaskState.TASK_STATE_COMPLETED);
    await got.session.send({ type: 'system.error', body: { code: 'agent_unavailable', message: 'too late', related_id: got.envelope.id } });
    await loggedAbout(got.envelope.id, 'toq upstream: system.error for no waiting task ignored');
    const after = await stateOf(task.id);
    expect(after.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(textOf(after.status?.message)).toBe('carol: done');
  });

  it('an approved agent other than the remote one can neither answer nor fail the task', async () => {
    const { task, got } = await sendAndAck('only carol may answer');
    const mallory = await startTestGateway('mallory', { host: '127.0.0.1' });
    const malloryIdentity = mallory.agents[0]!.identity;
    try {
      const malloryAddress = `toq://127.0.0.1:${mallory.port}/mallory`;
      // Let her in: the policy admits her, the bridge still must not take her word for carol's.
      const approved = await fetch(`${url}/v1/approve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: malloryIdentity.publicKeyText }) });
      expect(approved.status).toBe(200);
      await mallory.send(bobAddress, { type: 'message.send', thread_id: got.envelope.thread_id!, reply_to: got.envelope.id, body: { text: 'mallory: all done' } });
      await mallory.send(bobAddress, { type: 'system.error', body: { code: 'handler_crashed', message: 'mallory says no', related_id: got.envelope.id } });
      await until(() => (gwLog.filter((l) => l['peer'] === malloryAddress && l['msg'] === 'toq upstream: envelope from another agent than the remote one dropped').length === 2 ? true : undefined));
      expect((await stateOf(task.id)).status?.state).toBe(TaskState.TASK_STATE_WORKING);
      // carol's own answer still completes it.
      await carol.send(bobAddress, { type: 'message.send', thread_id: got.envelope.thread_id!, reply_to: got.envelope.id, body: { text: 'carol: here I am' } });
      const done = await taskInState(client, task.id, TaskState.TASK_STATE_COMPLETED);
      expect(textOf(done.status?.message)).toBe('carol: here I am');
    } finally {
      await mallory.close();
    }
  });
});
