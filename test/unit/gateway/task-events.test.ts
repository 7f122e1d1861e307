// applyTaskEvents on our SQLite task store: a batch of events reaches the store as one save of
// the final task (one commit, one flush), with the SDK's merge rules, before anything is published
// on the live bus.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Role, TaskState, type Task } from '@a2a-js/sdk';
import { AgentEvent, DefaultExecutionEventBus, ServerCallContext, type AgentExecutionEvent } from '@a2a-js/sdk/server';
import { afterEach, describe, expect, it } from 'vitest';
import { openA2aTaskDatabase, type A2aTaskDatabase } from '../../../src/a2a/sql-task-store.js';
import { applyTaskEvents, statusEvent } from '../../../src/gateway/task-events.js';

const dirs: string[] = [];
const databases: A2aTaskDatabase[] = [];
afterEach(async () => {
  for (const d of databases.splice(0)) await d.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function open(durable: () => Promise<void>): Promise<A2aTaskDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'toq-task-events-'));
  dirs.push(dir);
  const database = await openA2aTaskDatabase(join(dir, 'gateway.db'), { durable });
  databases.push(database);
  return database;
}

const context = new ServerCallContext({ tenant: 'agent', user: { isAuthenticated: true, userName: 'alice' } });
const ISO = '2026-11-21T00:00:00.000Z';

function submitted(id: string): Task {
  const message = { messageId: 'm1', contextId: 'c1', taskId: id, role: Role.ROLE_USER, parts: [{ content: { $case: 'text' as const, value: 'hello' }, metadata: undefined, filename: '', mediaType: '' }], metadata: undefined, extensions: [], referenceTaskIds: [] };
  return { id, contextId: 'c1', status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: ISO }, artifacts: [], history: [message], metadata: undefined };
}

describe('applyTaskEvents', () => {
  it('saves a batch once, as its final task, and publishes on the bus after the store has it', async () => {
    let flushes = 0;
    const { taskStore } = await open(() => {
      flushes += 1;
      return Promise.resolve();
    });
    const events: AgentExecutionEvent[] = [
      AgentEvent.task(submitted('t1')),
      statusEvent('t1', 'c1', TaskState.TASK_STATE_WORKING, ISO),
      AgentEvent.artifactUpdate({ taskId: 't1', contextId: 'c1', artifact: { artifactId: 'a1', name: '', description: '', parts: [{ content: { $case: 'text', value: 'part one' }, metadata: undefined, filename: '', mediaType: '' }], metadata: undefined, extensions: [] }, append: false, lastChunk: false, metadata: undefined }),
      statusEvent('t1', 'c1', TaskState.TASK_STATE_COMPLETED, ISO, 'done'),
    ];
    const bus = new DefaultExecutionEventBus();
    const seen: Array<{ kind: string; stored: TaskState | undefined }> = [];
    bus.on('event', (event: AgentExecutionEvent) => void taskStore.load('t1', context).then((t) => seen.push({ kind: event.kind, stored: t?.status?.state })));
    await applyTaskEvents(taskStore, context, events, bus);
    expect(flushes).toBe(1);
    const stored = (await taskStore.load('t1', context))!;
    expect(stored.status!.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(stored.artifacts.map((a) => a.artifactId)).toEqual(['a1']);
    // The user's message, then the completing status message.
    expect(stored.history.map((m) => m.role)).toEqual([Role.ROLE_USER, Role.ROLE_AGENT]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(seen.map((s) => s.kind)).toEqual(['task', 'statusUpdate', 'artifactUpdate', 'statusUpdate']);
    expect(seen.every((s) => s.stored === TaskState.TASK_STATE_COMPLETED)).toBe(true);
  });

  it('applies a batch on top of what is stored (a late reply to a known task)', async () => {
    const { taskStore } = await open(() => Promise.resolve());
    await taskStore.save(submitted('t2'), context);
    await applyTaskEvents(taskStore, context, [statusEvent('t2', 'c1', TaskState.TASK_STATE_WORKING, ISO), statusEvent('t2', 'c1', TaskState.TASK_STATE_INPUT_REQUIRED, ISO, 'which one?')], undefined);
    const stored = (await taskStore.load('t2', context))!;
    expect(stored.status!.state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(stored.history.map((m) => m.messageId)).toContain('m1');
    expect(stored.history).toHaveLength(2);
  });
});
