// What an A2A upstream answers → the toq bodies sent back to the toq sender (DESIGN §5.3): a reply
// `message.send` body `{"text", "parts"}` (plus `"a2a": {"state"}` when the task is not simply
// completed, e.g. `input-required`), and the stream bodies of the reference
// (`{"stream_id", "data": {"text"}}`, wire spec §7). `text` is every text part concatenated with no
// separator, as the other direction does; `parts` keep every part whole in v1.0 ProtoJSON. Pure.

import { Part, Role, TaskState, type Message, type Task } from '@a2a-js/sdk';
import type { JsonObject, JsonValue } from '../../protocol/json-value.js';

/** What one upstream turn came to. */
export interface UpstreamOutcome {
  readonly state: TaskState;
  readonly parts: readonly Part[];
}

const STATE_TEXT: ReadonlyMap<TaskState, string> = new Map([
  [TaskState.TASK_STATE_SUBMITTED, 'submitted'],
  [TaskState.TASK_STATE_WORKING, 'working'],
  [TaskState.TASK_STATE_INPUT_REQUIRED, 'input-required'],
  [TaskState.TASK_STATE_AUTH_REQUIRED, 'auth-required'],
  [TaskState.TASK_STATE_COMPLETED, 'completed'],
  [TaskState.TASK_STATE_FAILED, 'failed'],
  [TaskState.TASK_STATE_CANCELED, 'canceled'],
  [TaskState.TASK_STATE_REJECTED, 'rejected'],
]);

/** The v0.3 spelling a toq body carries in `a2a.state` (what toA2aTaskState reads back). */
export function toToqStateText(state: TaskState): string {
  return STATE_TEXT.get(state) ?? 'unknown';
}

/** Text parts concatenated with no separator. */
export function toToqText(parts: readonly Part[]): string {
  let text = '';
  for (const part of parts) if (part.content?.$case === 'text') text += part.content.value;
  return text;
}

/** A direct `Message` answer: the conversation turn is complete. */
export function toUpstreamOutcomeFromMessage(message: Message): UpstreamOutcome {
  return { state: TaskState.TASK_STATE_COMPLETED, parts: message.parts };
}

/**
 * A task snapshot. Completed: its artifacts (else its status message, else the last agent
 * message of its history). Any other state: its status message (a question, a refusal, an error).
 */
export function toUpstreamOutcomeFromTask(task: Task): UpstreamOutcome {
  const state = task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED;
  const statusParts = task.status?.message?.parts ?? [];
  if (state === TaskState.TASK_STATE_COMPLETED) {
    const artifactParts = task.artifacts.flatMap((a) => a.parts);
    if (artifactParts.length > 0) return { state, parts: artifactParts };
    if (statusParts.length > 0) return { state, parts: statusParts };
    const lastAgent = [...task.history].reverse().find((m) => m.role === Role.ROLE_AGENT);
    return { state, parts: lastAgent?.parts ?? [] };
  }
  return { state, parts: statusParts };
}

/** The reply `message.send` body. */
export function toToqReplyBody(outcome: UpstreamOutcome, fallbackText?: string): JsonObject {
  const parts = outcome.parts.map((p) => structuredClone(Part.toJSON(p)) as JsonValue);
  let text = toToqText(outcome.parts);
  if (text === '' && fallbackText !== undefined) text = fallbackText;
  const body: JsonObject = { text, parts };
  if (outcome.state !== TaskState.TASK_STATE_COMPLETED) body['a2a'] = { state: toToqStateText(outcome.state) };
  return body;
}

/** The explanation sent when the upstream cannot be reached or answers with an error. */
export function toToqErrorBody(agent: string, reason: string): JsonObject {
  return { text: `A2A agent "${agent}" could not answer: ${reason}`, parts: [], a2a: { state: 'failed' } };
}

/** A `message.stream.chunk` body (wire spec §7). */
export function toToqStreamChunkBody(streamId: string, text: string): JsonObject {
  return { stream_id: streamId, data: { text } };
}

/** The `message.stream.end` body: `data` repeats the whole text (reference receivers do not reassemble, DESIGN §5.3). */
export function toToqStreamEndBody(streamId: string, wholeText: string): JsonObject {
  return { stream_id: streamId, data: { text: wholeText } };
}
