// The request handler over the SQL store's answer view (createA2aRequestHandler with
// database.answerStore): what it answers, streams and pushes waits until the saves it shows are
// committed and on disk. The disk flush is held by the test (the `durable` hook the daemon's
// WalSync fills), on a real SQLite file, with a real loopback webhook.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Role, SendMessageRequest, TaskState, type Message, type StreamResponse, type Task } from '@a2a-js/sdk';
import { AgentEvent, type AgentExecutor } from '@a2a-js/sdk/server';
import { buildAgentCard } from '../../src/a2a/agent-card.js';
import { AgentCallContext, PrincipalUser } from '../../src/a2a/call-context.js';
import { GuardedPushNotificationSender, withPushNotifications } from '../../src/a2a/push-notifications.js';
import { createA2aRequestHandler } from '../../src/a2a/request-handler.js';
import { openA2aTaskDatabase, type A2aTaskDatabase } from '../../src/a2a/sql-task-store.js';
import { HeldFlush } from '../helpers/held-flush.js';
import { closeServer, listenOnLoopback } from '../helpers/ports.js';
import { until } from '../helpers/until.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** The echo agent: the task, then its completed status carrying "echo: <text>". */
const echo: AgentExecutor = {
  execute: (ctx, bus) => {
    const text = ctx.userMessage.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');
    const reply: Message = { messageId: `r-${ctx.taskId}`, contextId: ctx.contextId, taskId: ctx.taskId, role: Role.ROLE_AGENT, parts: [{ content: { $case: 'text', value: `echo: ${text}` }, metadata: undefined, filename: '', mediaType: '' }], metadata: undefined, extensions: [], referenceTaskIds: [] };
    bus.publish(AgentEvent.task({ id: ctx.taskId, contextId: ctx.contextId, status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: undefined }, artifacts: [], history: [ctx.userMessage], metadata: undefined }));
    bus.publish(AgentEvent.statusUpdate({ taskId: ctx.taskId, contextId: ctx.contextId, status: { state: TaskState.TASK_STATE_COMPLETED, message: reply, timestamp: new Date().toISOString() }, metadata: undefined }));
    bus.finished();
    return Promise.resolve();
  },
  cancelTask: () => Promise.resolve(),
};

const alice = () => new AgentCallContext('agent', { user: new PrincipalUser('alice'), requestedVersion: '1.0' });

const request = (text: string, pushUrl?: string): SendMessageRequest =>
  SendMessageRequest.fromJSON({
    message: { messageId: `m-${Math.random()}`, role: 'ROLE_USER', parts: [{ text }] },
    configuration: pushUrl === undefined ? {} : { taskPushNotificationConfig: { url: pushUrl, token: 'tok' } },
  });

async function openHandler(flush: HeldFlush) {
  const dir = mkdtempSync(join(tmpdir(), 'toq-a2a-durable-answers-'));
  const database: A2aTaskDatabase = await openA2aTaskDatabase(join(dir, 'gateway.db'), { durable: flush.durable });
  const sender = new GuardedPushNotificationSender(database.pushStore, { policy: { allowPrivate: true }, retryDelayMs: 5 }, { log: pino({ level: 'silent' }), onDisk: database.answerStore.answerable });
  closers.push(async () => {
    flush.release();
    await sender.close();
    await database.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const card = withPushNotifications(buildAgentCard({ name: 'echo', description: 'echo', version: '0', jsonRpcUrl: 'http://127.0.0.1/a2a', restUrl: 'http://127.0.0.1', skills: [], requiresBearer: true }));
  const handler = createA2aRequestHandler({ card, taskStore: database.answerStore, executor: echo, push: { store: database.pushStore, sender } });
  return { database, handler };
}

/** Lets the store commit and anything not waiting for the disk run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 30));
}

describe('answers wait for the disk (request handler over the answer view)', () => {
  it('a blocking SendMessage answers only once its task is on disk, and the same task is then stored', async () => {
    const flush = new HeldFlush();
    const { database, handler } = await openHandler(flush);
    let answer: Task | Message | undefined;
    const answering = handler.sendMessage(request('hello'), alice()).then((result) => (answer = result));
    await settle();
    // Committed (loads see it), but the flush has not returned: no answer yet.
    expect(flush.calls).toBeGreaterThan(0);
    expect(answer).toBeUndefined();
    flush.release();
    const task = (await answering) as Task;
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect((await database.taskStore.load(task.id, alice()))?.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(await handler.getTask({ tenant: '', id: task.id, historyLength: undefined }, alice())).toEqual(await database.taskStore.load(task.id, alice()));
  });

  it('a stream yields each event only once what it shows is on disk', async () => {
    const flush = new HeldFlush();
    const { handler } = await openHandler(flush);
    const events: StreamResponse[] = [];
    const reading = (async () => {
      for await (const event of handler.sendMessageStream(request('streamed'), alice())) events.push(event);
    })();
    await settle();
    expect(events).toEqual([]);
    flush.release();
    await reading;
    expect(events.map((e) => e.payload?.$case)).toEqual(['task', 'statusUpdate']);
  });

  it('GetTask refuses to answer with a task whose last save did not commit', async () => {
    const flush = new HeldFlush();
    flush.release();
    const { database, handler } = await openHandler(flush);
    const first = (await handler.sendMessage(request('first'), alice())) as Task;
    // Stands in for a write SQLite refuses (a full disk): the next save of this task fails.
    database.sqlite.exec(`CREATE TRIGGER refuse_next BEFORE INSERT ON tasks WHEN NEW.id = '${first.id}' BEGIN SELECT RAISE(ABORT, 'disk full'); END`);
    await database.answerStore.taskStore.save({ ...first, metadata: { changed: true } }, alice());
    await expect(handler.getTask({ tenant: '', id: first.id, historyLength: undefined }, alice())).rejects.toThrow(/disk full/);
  });

  it('a push notification leaves only once the task it shows is on disk', async () => {
    const deliveries: Array<Record<string, unknown>> = [];
    const webhook = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        deliveries.push(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>);
        res.writeHead(200).end();
      });
    });
    const port = await listenOnLoopback(webhook);
    closers.push(() => closeServer(webhook));
    const flush = new HeldFlush();
    const { handler } = await openHandler(flush);
    const answering = handler.sendMessage(request('pushed', `http://127.0.0.1:${port}/hook`), alice());
    await settle();
    expect(deliveries).toEqual([]);
    flush.release();
    await answering;
    await until(() => deliveries.find((d) => JSON.stringify(d).includes('TASK_STATE_COMPLETED')));
  });
});
