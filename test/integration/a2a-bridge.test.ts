// The lossless profile between two toq-gateways (DESIGN §5.1): A2A client → gw1 (`[agents.bob]
// toq = "toq://<gw2>/helper"`) → toq → gw2 (`[agents.helper] a2a = "<upstream>"`) → a scripted
// @a2a-js/sdk upstream. helper's toq card advertises `a2a-bridge/1`, so gw1 carries the caller's
// whole message and gw2 sends back the upstream's own events: the upstream sees the caller's
// messageId, parts and metadata; the caller sees the upstream's artifacts and states (in gw1's
// task ids), and a direct Message answer stays a Message.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendMessageRequest, TaskState, type Message, type StreamResponse, type Task } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, JsonRpcTransportFactory, type Client } from '@a2a-js/sdk/client';
import { startDaemon, type Daemon } from '../../src/daemon/daemon.js';
import { A2A_BRIDGE_CAPABILITY } from '../../src/gateway/translate/a2a-bridge.js';
import { startTestUpstream, type TestUpstream } from '../helpers/a2a-upstream.js';
import { freeLoopbackPort } from '../helpers/ports.js';
import { until } from '../helpers/until.js';

interface RunningDaemon {
  readonly daemon: Daemon;
  readonly url: string;
  readonly dir: string;
}

async function startWorkspace(name: string, config: string): Promise<RunningDaemon> {
  const dir = mkdtempSync(join(tmpdir(), `toq-bridge-${name}-`));
  writeFileSync(join(dir, 'config.toml'), `host = "127.0.0.1"\n${config}`);
  const log = pino({ level: process.env['TEST_LOG'] ?? 'silent' });
  const daemon = await startDaemon({ configDir: dir, log, port: 0, bindAddress: '127.0.0.1', overrides: { agentName: name }, a2aBlockingTimeoutMs: 5_000, outboxBackoffMs: [50, 100, 200] });
  return { daemon, url: `http://127.0.0.1:${daemon.port}`, dir };
}


const textOf = (parts: Message['parts'] | undefined): string => (parts ?? []).map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');

function asTask(result: Message | Task): Task {
  if (!('status' in result)) throw new Error(`expected a task, got a message: ${JSON.stringify(result)}`);
  return result;
}

describe('lossless profile: A2A → gw1 → toq → gw2 → A2A upstream', () => {
  let upstream: TestUpstream;
  let blockingUpstream: TestUpstream;
  let gw1: RunningDaemon;
  let gw2: RunningDaemon;
  let client: Client;

  beforeAll(async () => {
    upstream = await startTestUpstream();
    blockingUpstream = await startTestUpstream({ streaming: false });
    const dead = await freeLoopbackPort();
    gw2 = await startWorkspace(
      'far',
      `connection_mode = "open"\n[agents.helper]\na2a = "${upstream.url}"\n[agents.plain]\na2a = "${blockingUpstream.url}"\n[agents.broken]\na2a = "http://127.0.0.1:${dead}"\n`,
    );
    const far = `toq://127.0.0.1:${gw2.daemon.port}`;
    gw1 = await startWorkspace('near', `a2a_enabled = true\n[agents.bob]\ntoq = "${far}/helper"\n[agents.dud]\ntoq = "${far}/broken"\n[agents.slowpoke]\ntoq = "${far}/plain"\n`);
    client = await new ClientFactory().createFromUrl(`${gw1.url}/a2a/bob/`);
  });
  afterAll(async () => {
    for (const gw of [gw1, gw2]) {
      if (gw === undefined) continue;
      await gw.daemon.stop();
      rmSync(gw.dir, { recursive: true, force: true });
    }
    await upstream?.close();
    await blockingUpstream?.close();
  });

  it("helper's toq card advertises a2a-bridge/1; the local agent's does not", async () => {
    const helper = gw2.daemon.gateway.agents.find((a) => a.name === 'helper')!;
    expect(helper.card.capabilities).toContain(A2A_BRIDGE_CAPABILITY);
    const local = gw2.daemon.gateway.agents.find((a) => a.name === 'far')!;
    expect(local.card.capabilities ?? []).not.toContain(A2A_BRIDGE_CAPABILITY);
  });

  it("the upstream sees the caller's messageId, parts and metadata; a direct Message answer stays a Message", async () => {
    const request = SendMessageRequest.fromJSON({
      message: {
        messageId: 'caller-msg-1',
        role: 'ROLE_USER',
        parts: [{ text: 'hi' }, { data: { n: 1.5, list: [true, null] }, mediaType: 'application/json' }, { url: 'https://example.org/a.png', mediaType: 'image/png', filename: 'a.png' }],
        metadata: { trace: 'abc' },
        referenceTaskIds: ['earlier-task'],
      },
    });
    const result = await client.sendMessage(request);
    expect('status' in result).toBe(false);
    const message = result as Message;
    const [call] = await upstream.waitForCalls(1);
    expect(call!.message.messageId).toBe('caller-msg-1');
    expect(call!.message.parts).toEqual(request.message!.parts);
    expect(call!.message.referenceTaskIds).toEqual(['earlier-task']);
    expect(call!.metadata?.['trace']).toBe('abc');
    // Provenance: the message came from gw1's bob over toq.
    expect(call!.metadata?.['toq']).toMatchObject({ from: `toq://127.0.0.1:${gw1.daemon.port}/bob`, verified: true });
    // The upstream's own answer, in the caller's context.
    expect(textOf(message.parts)).toBe(`echo: hi ctx=${call!.contextId}`);
    expect(message.taskId).toBe('');
    expect(message.contextId).not.toBe(call!.contextId);
  });

  it("streaming: the caller sees the upstream's own artifact (id, name, append, lastChunk) in gw1's task", async () => {
    const events: StreamResponse[] = [];
    for await (const event of client.sendMessageStream(SendMessageRequest.fromJSON({ message: { messageId: 'caller-stream', role: 'ROLE_USER', parts: [{ text: 'stream' }] } }))) events.push(event);
    const first = events[0]?.payload;
    expect(first?.$case).toBe('task');
    const taskId = first?.$case === 'task' ? first.value.id : '';
    const call = upstream.calls.find((c) => c.message.messageId === 'caller-stream')!;
    expect(taskId).not.toBe(call.taskId);
    const chunks = events.flatMap((e) => (e.payload?.$case === 'artifactUpdate' ? [e.payload.value] : []));
    expect(chunks.map((c) => [c.artifact?.artifactId, c.artifact?.name, textOf(c.artifact?.parts), c.append, c.lastChunk, c.taskId])).toEqual([
      ['answer', 'answer', 'one ', false, false, taskId],
      ['answer', 'answer', 'two ', true, false, taskId],
      ['answer', 'answer', 'three', true, true, taskId],
    ]);
    const last = events.at(-1)?.payload;
    expect(last?.$case === 'statusUpdate' && last.value.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    const stored = await client.getTask({ tenant: '', id: taskId });
    expect(stored.artifacts.map((a) => [a.artifactId, textOf(a.parts)])).toEqual([['answer', 'one two three']]);
    expect(stored.history[0]?.messageId).toBe('caller-stream');
  });

  it('input-required: the question comes back in the same task; the follow-up reaches the same upstream task', async () => {
    const asked = asTask(await client.sendMessage(SendMessageRequest.fromJSON({ message: { messageId: 'caller-ask', role: 'ROLE_USER', parts: [{ text: 'ask' }] } })));
    expect(asked.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(textOf(asked.status?.message?.parts)).toBe('what is your name?');
    const done = asTask(
      await client.sendMessage(SendMessageRequest.fromJSON({ message: { messageId: 'caller-answer', role: 'ROLE_USER', parts: [{ text: 'Ada' }], taskId: asked.id, contextId: asked.contextId } })),
    );
    expect(done.id).toBe(asked.id);
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(textOf(done.status?.message?.parts)).toBe('hello Ada');
    const first = upstream.calls.find((c) => c.message.messageId === 'caller-ask')!;
    const second = upstream.calls.find((c) => c.message.messageId === 'caller-answer')!;
    expect(second.requestTaskId).toBe(first.taskId);
    expect(second.contextId).toBe(first.contextId);
  });

  it('CancelTask: canceled at once at gw1, and message.cancel makes gw2 cancel the upstream task', async () => {
    const task = asTask(
      await client.sendMessage(SendMessageRequest.fromJSON({ message: { messageId: 'caller-slow', role: 'ROLE_USER', parts: [{ text: 'slow' }] }, configuration: { returnImmediately: true } })),
    );
    const call = await until(() => upstream.calls.find((c) => c.message.messageId === 'caller-slow'));
    // The far side knows the upstream task once its first event came back.
    await until(async () => ((await client.getTask({ tenant: '', id: task.id })).status?.state === TaskState.TASK_STATE_WORKING ? true : undefined));
    const canceled = await client.cancelTask({ tenant: '', id: task.id, metadata: undefined });
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    await until(() => (upstream.canceled.includes(call.taskId) ? true : undefined));
    upstream.release();
  });

  it('an unreachable upstream behind gw2: the caller\'s task fails with the explanation', async () => {
    const dud = await new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { transports: [new JsonRpcTransportFactory()] })).createFromUrl(`${gw1.url}/a2a/dud/`);
    const task = asTask(await dud.sendMessage(SendMessageRequest.fromJSON({ message: { messageId: 'caller-dud', role: 'ROLE_USER', parts: [{ text: 'anyone?' }] } })));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(textOf(task.status?.message?.parts)).toContain('A2A agent "broken" could not answer');
  });

  it('an upstream without streaming: its blocking input-required task still ends the turn at gw1', async () => {
    const slowpoke = await new ClientFactory().createFromUrl(`${gw1.url}/a2a/slowpoke/`);
    const asked = asTask(await slowpoke.sendMessage(SendMessageRequest.fromJSON({ message: { messageId: 'caller-ask-2', role: 'ROLE_USER', parts: [{ text: 'ask' }] } })));
    expect(asked.status?.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(textOf(asked.status?.message?.parts)).toBe('what is your name?');
    const done = asTask(await slowpoke.sendMessage(SendMessageRequest.fromJSON({ message: { messageId: 'caller-answer-2', role: 'ROLE_USER', parts: [{ text: 'Bo' }], taskId: asked.id, contextId: asked.contextId } })));
    expect(done.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(textOf(done.status?.message?.parts)).toBe('hello Bo');
  });

  it('a v0.3 JSON-RPC client gets the same: a direct answer is a v0.3 message', async () => {
    const card = await client.getAgentCard();
    const legacy = await new ClientFactory(
      ClientFactoryOptions.createFrom(ClientFactoryOptions.default, { transports: [new JsonRpcTransportFactory({ legacyCompat: { enabled: true } })], preferredTransports: ['JSONRPC'] }),
    ).createFromAgentCard({ ...card, supportedInterfaces: card.supportedInterfaces.filter((i) => i.protocolVersion === '0.3') });
    const result = await legacy.sendMessage(SendMessageRequest.fromJSON({ message: { messageId: 'caller-legacy', role: 'ROLE_USER', parts: [{ text: 'old' }] } }));
    expect('status' in result).toBe(false);
    const call = upstream.calls.find((c) => c.message.messageId === 'caller-legacy')!;
    expect(textOf((result as Message).parts)).toBe(`echo: old ctx=${call.contextId}`);
  });
});
