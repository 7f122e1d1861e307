// The bridge between A2A tasks and the local agent, driven directly (no sockets): the SDK's
// in-memory task store, a real SQLite thread map in memory, and a fake local agent that records
// what it is handed (the outside world of this unit).

import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SendMessageRequest, TaskState, type Task } from '@a2a-js/sdk';
import { DefaultExecutionEventBus, InMemoryTaskStore, RequestContext, type AgentExecutionEvent } from '@a2a-js/sdk/server';
import { AgentCallContext, PrincipalUser } from '../../../src/a2a/call-context.js';
import { A2aThreadStore } from '../../../src/gateway/a2a-thread-store.js';
import { LocalAgentBridge } from '../../../src/gateway/local-agent-bridge.js';
import type { LocalAgentPort } from '../../../src/gateway/local-agent-port.js';
import type { ToqIncomingMessage } from '../../../src/gateway/translate/a2a-message.js';
import { parseJson } from '../../../src/protocol/json-parse.js';

describe('LocalAgentBridge', () => {
  let db: Database.Database;
  let threads: A2aThreadStore;
  let taskStore: InMemoryTaskStore;
  let delivered: ToqIncomingMessage[];
  let committed: string[];
  let hasReceiver: boolean;
  let bridge: LocalAgentBridge;
  const context = () => new AgentCallContext('alice', { user: new PrincipalUser('p1') });

  const port: LocalAgentPort = {
    agentName: 'alice',
    hasReceiver: () => hasReceiver,
    commit: (m) => {
      committed.push(m.id);
      return Promise.resolve();
    },
    deliver: (m) => void delivered.push(m),
  };

  beforeEach(() => {
    db = new Database(':memory:');
    threads = new A2aThreadStore(db);
    taskStore = new InMemoryTaskStore();
    delivered = [];
    committed = [];
    hasReceiver = true;
    bridge = new LocalAgentBridge({}, { port, taskStore, threads, log: pino({ level: 'silent' }) });
  });
  afterEach(() => {
    bridge.close();
    db.close();
  });

  /** Starts execute() for a new task; resolves once the message reached the local agent. */
  async function start(taskId: string, contextId: string, text: string): Promise<{ events: AgentExecutionEvent[]; done: Promise<void> }> {
    const bus = new DefaultExecutionEventBus();
    const events: AgentExecutionEvent[] = [];
    bus.on('event', (e) => void events.push(e));
    const request = SendMessageRequest.fromJSON({ message: { messageId: `m-${taskId}`, role: 'ROLE_USER', parts: [{ text }], taskId, contextId } });
    const done = bridge.executor.execute(new RequestContext(request, taskId, contextId, context()), bus);
    const before = delivered.length;
    while (delivered.length === before) await new Promise((resolve) => setImmediate(resolve));
    return { events, done };
  }

  const stored = async (taskId: string): Promise<Task> => (await taskStore.load(taskId, context()))!;
  const reply = (threadId: string, body: string, extra: { reply_to?: string; close_thread?: boolean } = {}) =>
    bridge.deliverReply({ thread_id: threadId, body: parseJson(Buffer.from(body)), close_thread: extra.close_thread ?? false, ...(extra.reply_to !== undefined && { reply_to: extra.reply_to }) });

  it('commits before delivering, stores the task working, and a reply completes it and releases the executor', async () => {
    const { events, done } = await start('t1', 'c1', 'hi');
    const message = delivered[0]!;
    expect(committed).toEqual([message.id]);
    expect((await stored('t1')).status?.state).toBe(TaskState.TASK_STATE_WORKING);
    // One snapshot, already working (no separate working update for the SDK to store again).
    expect(events.map((e) => e.kind)).toEqual(['task']);
    expect(events[0]!.kind === 'task' && events[0]!.data.status?.state).toBe(TaskState.TASK_STATE_WORKING);
    const answer = await reply(message.thread_id, '{"text":"done"}');
    expect(answer).toMatchObject({ status: 'delivered', thread_id: message.thread_id });
    await done;
    const task = await stored('t1');
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(task.artifacts[0]?.parts[0]?.content).toEqual({ $case: 'text', value: 'done' });
    expect(events.map((e) => e.kind)).toEqual(['task', 'artifactUpdate', 'statusUpdate']);
  });

  it('no receiver: failed at once, nothing committed or delivered', async () => {
    hasReceiver = false;
    const bus = new DefaultExecutionEventBus();
    const events: AgentExecutionEvent[] = [];
    bus.on('event', (e) => void events.push(e));
    const request = SendMessageRequest.fromJSON({ message: { messageId: 'm', role: 'ROLE_USER', parts: [{ text: 'x' }] } });
    await bridge.executor.execute(new RequestContext(request, 't9', 'c9', context()), bus);
    expect(committed).toEqual([]);
    expect(delivered).toEqual([]);
    const last = events.at(-1)!;
    expect(last.kind === 'statusUpdate' && last.data.status?.state).toBe(TaskState.TASK_STATE_FAILED);
  });

  it('two tasks on one thread: reply_to picks the task, otherwise the oldest waiting one', async () => {
    const first = await start('ta', 'shared', 'a');
    const second = await start('tb', 'shared', 'b');
    const threadId = delivered[0]!.thread_id;
    expect(delivered[1]!.thread_id).toBe(threadId);
    await reply(threadId, '{"text":"for b"}', { reply_to: delivered[1]!.id });
    await second.done;
    expect((await stored('tb')).status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect((await stored('ta')).status?.state).toBe(TaskState.TASK_STATE_WORKING);
    await reply(threadId, '{"text":"for a"}');
    await first.done;
    expect((await stored('ta')).artifacts[0]?.parts[0]?.content).toEqual({ $case: 'text', value: 'for a' });
  });

  it('a thread that is not an A2A thread is not taken; a finished one drops the reply but answers', async () => {
    expect(await reply('plain-toq-thread', '{"text":"x"}')).toBeUndefined();
    const { done } = await start('t2', 'c2', 'hi');
    const threadId = delivered[0]!.thread_id;
    await reply(threadId, '{"text":"first"}');
    await done;
    expect(await reply(threadId, '{"text":"second"}')).toMatchObject({ status: 'delivered' });
    expect((await stored('t2')).artifacts[0]?.parts[0]?.content).toEqual({ $case: 'text', value: 'first' });
  });

  it('close_thread: the next turn in the context gets a new thread', async () => {
    const one = await start('t3', 'c3', 'hi');
    const threadId = delivered[0]!.thread_id;
    await reply(threadId, '{"text":"bye"}', { close_thread: true });
    await one.done;
    await start('t4', 'c3', 'again');
    expect(delivered[1]!.thread_id).not.toBe(threadId);
  });

  it('close_thread completes every open task of the thread: the answered one with the reply, the others without; a named terminal state stays', async () => {
    const first = await start('tc1', 'c6', 'a');
    const second = await start('tc2', 'c6', 'b');
    const threadId = delivered[0]!.thread_id;
    await reply(threadId, '{"text":"bye","a2a":{"state":"input-required"}}', { close_thread: true, reply_to: delivered[1]!.id });
    await Promise.all([first.done, second.done]);
    expect((await stored('tc2')).status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect((await stored('tc2')).artifacts[0]?.parts[0]?.content).toEqual({ $case: 'text', value: 'bye' });
    expect((await stored('tc1')).status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect((await stored('tc1')).artifacts).toEqual([]);
    const third = await start('tc3', 'c7', 'c');
    await reply(delivered[2]!.thread_id, '{"text":"no","a2a":{"state":"failed"}}', { close_thread: true });
    await third.done;
    expect((await stored('tc3')).status?.state).toBe(TaskState.TASK_STATE_FAILED);
  });

  it('a reply with no live executor (after a restart) still completes the stored task', async () => {
    const { done } = await start('t5', 'c5', 'hi');
    const threadId = delivered[0]!.thread_id;
    bridge.close();
    await done;
    const restarted = new LocalAgentBridge({}, { port, taskStore, threads: new A2aThreadStore(db), log: pino({ level: 'silent' }) });
    expect(await restarted.deliverReply({ thread_id: threadId, body: { text: 'later' }, close_thread: false })).toMatchObject({ status: 'delivered' });
    expect((await stored('t5')).status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
  });
});
