import { describe, expect, it } from 'vitest';
import { TaskState } from '@a2a-js/sdk';
import { isInterruptedTaskState, isTerminalTaskState, toA2aTaskState } from '../../../src/gateway/translate/task-state.js';

describe('toA2aTaskState (DESIGN §5.2 a2a.state)', () => {
  const rows: Array<[string, TaskState | undefined]> = [
    ['completed', TaskState.TASK_STATE_COMPLETED],
    ['input-required', TaskState.TASK_STATE_INPUT_REQUIRED],
    ['TASK_STATE_INPUT_REQUIRED', TaskState.TASK_STATE_INPUT_REQUIRED],
    ['input_required', TaskState.TASK_STATE_INPUT_REQUIRED],
    ['Auth-Required', TaskState.TASK_STATE_AUTH_REQUIRED],
    ['failed', TaskState.TASK_STATE_FAILED],
    ['rejected', TaskState.TASK_STATE_REJECTED],
    ['working', TaskState.TASK_STATE_WORKING],
    ['canceled', TaskState.TASK_STATE_CANCELED],
    ['submitted', undefined],
    ['TASK_STATE_UNSPECIFIED', undefined],
    ['done', undefined],
    ['', undefined],
  ];
  for (const [text, state] of rows) it(`${JSON.stringify(text)} -> ${String(state)}`, () => expect(toA2aTaskState(text)).toBe(state));

  it('classifies terminal and interrupted states (a2a-notes §7)', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].filter((s) => isTerminalTaskState(s))).toEqual([3, 4, 5, 7]);
    expect([1, 2, 3, 4, 5, 6, 7, 8].filter((s) => isInterruptedTaskState(s))).toEqual([6, 8]);
  });
});
