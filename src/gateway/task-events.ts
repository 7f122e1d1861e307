// Task events the bridges publish, and how they reach the task store: shared by the bridge of the
// local agent and the bridge of toq-upstream agents (one place for the SDK's merge rules).

import { randomUUID } from 'node:crypto';
import { Role, type Message, type TaskState } from '@a2a-js/sdk';
import { AgentEvent, ResultManager, type AgentExecutionEvent, type ExecutionEventBus, type ServerCallContext, type TaskStore } from '@a2a-js/sdk/server';
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
 * the SDK's consumer of the bus applies them again, and its merges are idempotent.
 */
export async function applyTaskEvents(taskStore: TaskStore, context: ServerCallContext, events: readonly AgentExecutionEvent[], bus: ExecutionEventBus | undefined): Promise<void> {
  const results = new ResultManager(taskStore, context);
  for (const event of events) await results.processEvent(event);
  if (bus !== undefined) for (const event of events) bus.publish(event);
}
