import { describe, expect, it } from 'vitest';
import { Part, TaskArtifactUpdateEvent, TaskState, TaskStatusUpdateEvent } from '@a2a-js/sdk';
import { toA2aReply, toA2aReplyEvents } from '../../../src/gateway/translate/a2a-reply.js';
import { parseJson } from '../../../src/protocol/json-parse.js';

const ids = { taskId: 't-1', contextId: 'c-1', messageId: 'r-1', artifactId: 't-1-response', timestamp: '2026-01-02T03:04:05.000Z' };
const body = (text: string) => parseJson(Buffer.from(text));
const partsJson = (parts: Part[]) => parts.map((p) => Part.toJSON(p));

describe('toA2aReply (DESIGN §5.2 reply row)', () => {
  it('text only: one text part, completed', () => {
    const reply = toA2aReply(body('{"text":"echo: hi"}'));
    expect(reply.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(partsJson(reply.parts)).toEqual([{ text: 'echo: hi', mediaType: 'text/plain' }]);
  });

  it('no body or no text: one empty text part (the reference hands "" on)', () => {
    expect(partsJson(toA2aReply(undefined).parts)).toEqual([{ text: '', mediaType: 'text/plain' }]);
    expect(partsJson(toA2aReply(body('{"other":1}')).parts)).toEqual([{ text: '', mediaType: 'text/plain' }]);
    expect(partsJson(toA2aReply(body('"just a string"')).parts)).toEqual([{ text: '', mediaType: 'text/plain' }]);
  });

  it('parts win over text; v0.3 kind parts read the same; unusable parts are skipped', () => {
    const reply = toA2aReply(body('{"text":"ignored","parts":[{"text":"a"},{"kind":"data","data":{"x":1.50}},{"nothing":true},7]}'));
    expect(partsJson(reply.parts)).toEqual([{ text: 'a' }, { data: { x: 1.5 } }]);
  });

  it('a2a.state sets the state; an unusable one is reported and the default kept', () => {
    expect(toA2aReply(body('{"text":"?","a2a":{"state":"input-required"}}')).state).toBe(TaskState.TASK_STATE_INPUT_REQUIRED);
    expect(toA2aReply(body('{"text":"no","a2a":{"state":"TASK_STATE_REJECTED"}}')).state).toBe(TaskState.TASK_STATE_REJECTED);
    const odd = toA2aReply(body('{"text":"x","a2a":{"state":"submitted"}}'));
    expect(odd.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(odd.ignoredState).toBe('submitted');
    expect(toA2aReply(body('{"text":"x","a2a":{"state":3}}')).state).toBe(TaskState.TASK_STATE_COMPLETED);
  });
});

describe('toA2aReplyEvents', () => {
  it('completed: artifact (lastChunk, not append) then status with the agent message', () => {
    const events = toA2aReplyEvents(toA2aReply(body('{"text":"done"}')), ids);
    expect(events.map((e) => e.kind)).toEqual(['artifactUpdate', 'statusUpdate']);
    expect(TaskArtifactUpdateEvent.toJSON(events[0]!.data as TaskArtifactUpdateEvent)).toEqual({
      taskId: 't-1',
      contextId: 'c-1',
      artifact: { artifactId: 't-1-response', name: 'response', parts: [{ text: 'done', mediaType: 'text/plain' }] },
      lastChunk: true,
    });
    expect(TaskStatusUpdateEvent.toJSON(events[1]!.data as TaskStatusUpdateEvent)).toEqual({
      taskId: 't-1',
      contextId: 'c-1',
      status: {
        state: 'TASK_STATE_COMPLETED',
        message: { messageId: 'r-1', contextId: 'c-1', taskId: 't-1', role: 'ROLE_AGENT', parts: [{ text: 'done', mediaType: 'text/plain' }] },
        timestamp: '2026-01-02T03:04:05.000Z',
      },
    });
  });

  for (const state of ['input-required', 'failed', 'working']) {
    it(`${state}: status message only, no artifact`, () => {
      const events = toA2aReplyEvents(toA2aReply(body(`{"text":"t","a2a":{"state":"${state}"}}`)), ids);
      expect(events.map((e) => e.kind)).toEqual(['statusUpdate']);
    });
  }

  it('the artifact and the message do not share part objects', () => {
    const events = toA2aReplyEvents(toA2aReply(body('{"parts":[{"data":{"k":[1]}}]}')), ids);
    const artifactPart = (events[0]!.data as TaskArtifactUpdateEvent).artifact!.parts[0]!;
    const messagePart = (events[1]!.data as TaskStatusUpdateEvent).status!.message!.parts[0]!;
    expect(artifactPart).not.toBe(messagePart);
    expect(artifactPart).toEqual(messagePart);
  });
});
