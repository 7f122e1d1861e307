// A2A task state ↔ the text a toq reply may carry in `body.a2a.state` (DESIGN §5.2). Pure.
// Accepts the v0.3 spelling (`input-required`), the v1.0 enum name (`TASK_STATE_INPUT_REQUIRED`)
// and snake case (`input_required`), any case.

import { TaskState } from '@a2a-js/sdk';

const BY_NAME: ReadonlyMap<string, TaskState> = new Map([
  ['working', TaskState.TASK_STATE_WORKING],
  ['input-required', TaskState.TASK_STATE_INPUT_REQUIRED],
  ['auth-required', TaskState.TASK_STATE_AUTH_REQUIRED],
  ['completed', TaskState.TASK_STATE_COMPLETED],
  ['failed', TaskState.TASK_STATE_FAILED],
  ['rejected', TaskState.TASK_STATE_REJECTED],
  ['canceled', TaskState.TASK_STATE_CANCELED],
]);

/**
 * The state a reply asks for, or undefined when the text names no state a reply may set
 * (`submitted` and `unspecified` are the server's to set, not a replier's).
 */
export function toA2aTaskState(text: string): TaskState | undefined {
  const name = text.trim().toLowerCase().replace(/^task_state_/, '').replace(/_/g, '-');
  return BY_NAME.get(name);
}

/** completed, failed, canceled, rejected: the task takes no more messages (a2a-notes §7). */
export function isTerminalTaskState(state: TaskState): boolean {
  return state === TaskState.TASK_STATE_COMPLETED || state === TaskState.TASK_STATE_FAILED || state === TaskState.TASK_STATE_CANCELED || state === TaskState.TASK_STATE_REJECTED;
}

/** input-required, auth-required: paused until the client (or a credential) comes back. */
export function isInterruptedTaskState(state: TaskState): boolean {
  return state === TaskState.TASK_STATE_INPUT_REQUIRED || state === TaskState.TASK_STATE_AUTH_REQUIRED;
}
