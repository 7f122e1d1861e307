// Task events the bridges publish, and how they reach the task store: shared by the bridge of the
// local agent and the bridge of toq-upstream agents (one place for the SDK's merge rules).

import { randomUUID } from 'node:crypto';
import { Role, type ListTasksRequest, type ListTasksResponse, type Message, type StreamResponse, type Task, type TaskState } from '@a2a-js/sdk';
import { AgentEvent, ResultManager, type AgentExecutionEvent, type ExecutionEventBus, type PushNotificationSender, type ServerCallContext, type TaskStore } from '@a2a-js/sdk/server';
import { textPart } from './translate/plain-values.js';

/** A status update of our agent; `text` becomes the status message. */
export function statusEvent(taskId: string, contextId: string, state: TaskState, timestampIso: string, text?: string): AgentExecutionEvent {
  const message: Message | undefined =
    text === undefined
      ? undefined
      : { messageId: randomUUID(), contextId, taskId, role: Role.ROLE_AGENT, parts: [textPart(text)], metadata: undefined, extensions: [], referenceTaskIds: [] };
  return AgentEvent.statusUpdate({ taskId, contextId, status: { state, message, timestamp: timestampIso }, metadata: undefined });
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
  for (const event of events) {
    await results.processEvent(event);
    if (bus === undefined && push !== undefined) void push.send(toStreamResponse(event), context, structuredClone(results.getCurrentTask()));
  }
  await staged.flush();
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
