// Task events the bridges publish, and how they reach the task store: shared by the bridge of the
// local agent and the bridge of toq-upstream agents (one place for the SDK's merge rules).

import { randomUUID } from 'node:crypto';
import { Role, TaskState, type ListTasksRequest, type ListTasksResponse, type Message, type StreamResponse, type Task } from '@a2a-js/sdk';
import { AgentEvent, ResultManager, type AgentExecutionEvent, type ExecutionEventBus, type PushNotificationSender, type RequestContext, type ServerCallContext, type TaskStore } from '@a2a-js/sdk/server';
import { textPart } from './translate/plain-values.js';

/** A status update of our agent; `text` becomes the status message. */
export function statusEvent(taskId: string, contextId: string, state: TaskState, timestampIso: string, text?: string): AgentExecutionEvent {
  const message: Message | undefined =
    text === undefined
      ? undefined
      : { messageId: randomUUID(), contextId, taskId, role: Role.ROLE_AGENT, parts: [textPart(text)], metadata: undefined, extensions: [], referenceTaskIds: [] };
  return AgentEvent.statusUpdate({ taskId, contextId, status: { state, message, timestamp: timestampIso }, metadata: undefined });
}

/** The request's task: the one it continues, or a new submitted one holding the user's message. */
export function requestTask(ctx: RequestContext, timestampIso: string): Task {
  return (
    ctx.task ?? {
      id: ctx.taskId,
      contextId: ctx.contextId,
      status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: timestampIso },
      artifacts: [],
      history: [ctx.userMessage],
      metadata: undefined,
    }
  );
}

/**
 * The event a bridge starts a turn with: one snapshot of `task`, already working. The SDK's
 * consumer of the live bus re-applies what a bridge publishes, and a snapshot equal to the row the
 * bridge stored is not written again (the task store's same-row check), where a submitted
 * snapshot then a working update were two more commits and two more flushes on the call's path.
 */
export function workingTaskEvent(task: Task, timestampIso: string): AgentExecutionEvent {
  return AgentEvent.task({ ...task, status: { state: TaskState.TASK_STATE_WORKING, message: undefined, timestamp: timestampIso } });
}

/**
 * Writes the events to the task store with the SDK's merge rules (so a late reply updates the
 * stored task even with nobody listening), then publishes them on the live bus if there is one;
 * the SDK's consumer of the bus applies them again (its merges are idempotent) and notifies the
 * task's webhooks. With no live bus (a late reply, also after a restart) nobody else will:
 * `push` then gets each event with the task as stored (DESIGN §5.2 "late replies still update
 * ... push configs"); its delivery runs in the background and never throws.
 */
export async function applyTaskEvents(
  taskStore: TaskStore,
  context: ServerCallContext,
  events: readonly AgentExecutionEvent[],
  bus: ExecutionEventBus | undefined,
  push?: PushNotificationSender,
): Promise<void> {
  // The store gets the batch's final task once: one commit and one wait for the disk, not one per event.
  const staged = new StagedSaves(taskStore);
  const results = new ResultManager(staged, context);
  const pushes: Array<readonly [AgentExecutionEvent, Task | undefined]> = [];
  for (const event of events) {
    await results.processEvent(event);
    if (bus === undefined && push !== undefined) pushes.push([event, structuredClone(results.getCurrentTask())]);
  }
  await staged.flush();
  // Told to webhooks once stored: nothing leaves that a crash could take back.
  for (const [event, task] of pushes) void push!.send(toStreamResponse(event), context, task);
  if (bus !== undefined) for (const event of events) bus.publish(event);
}

/**
 * A TaskStore view for one batch of events of one task: saves are kept, loads see the last kept
 * task (the ResultManager re-loads before each event), and flush() saves the last one for real.
 */
class StagedSaves implements TaskStore {
  #kept: { readonly task: Task; readonly context: ServerCallContext } | undefined;

  constructor(private readonly store: TaskStore) {}

  save(task: Task, context: ServerCallContext): Promise<void> {
    // Kept as given: the ResultManager never changes a task once saved (it re-loads a copy first).
    this.#kept = { task, context };
    return Promise.resolve();
  }

  load(taskId: string, context: ServerCallContext): Promise<Task | undefined> {
    const kept = this.#kept;
    // A copy again: the ResultManager changes what it loads.
    if (kept !== undefined && kept.task.id === taskId) return Promise.resolve(structuredClone(kept.task));
    return this.store.load(taskId, context);
  }

  list(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    return this.store.list(params, context);
  }

  async flush(): Promise<void> {
    const kept = this.#kept;
    this.#kept = undefined;
    if (kept !== undefined) await this.store.save(kept.task, kept.context);
  }
}

/** An executor event as the wire's StreamResponse (the shape push deliveries carry). */
export function toStreamResponse(event: AgentExecutionEvent): StreamResponse {
  switch (event.kind) {
    case 'message':
      return { payload: { $case: 'message', value: event.data } };
    case 'task':
      return { payload: { $case: 'task', value: event.data } };
    case 'statusUpdate':
      return { payload: { $case: 'statusUpdate', value: event.data } };
    case 'artifactUpdate':
      return { payload: { $case: 'artifactUpdate', value: event.data } };
  }
}
