// toq ⇄ A2A translation for hosted A2A upstream agents (DESIGN §5.3), driven by
// fixtures/a2a/upstream-translation.json, plus provenance, state names and aliasing.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Message, Part, Role, Task, TaskState } from '@a2a-js/sdk';
import { parseJson } from '../../../src/protocol/json-parse.js';
import type { JsonValue } from '../../../src/protocol/json-value.js';
import { toA2aTaskState } from '../../../src/gateway/translate/task-state.js';
import { toA2aParts, toA2aUpstreamMessage } from '../../../src/gateway/translate/upstream-request.js';
import {
  toToqErrorBody,
  toToqReplyBody,
  toToqStateText,
  toToqStreamChunkBody,
  toToqStreamEndBody,
  toUpstreamOutcomeFromMessage,
  toUpstreamOutcomeFromTask,
} from '../../../src/gateway/translate/upstream-reply.js';

interface Fixture {
  requestCases: Array<{ id: string; body?: unknown; parts: unknown[] }>;
  replyCases: Array<{ id: string; message?: unknown; task?: unknown; fallbackText?: string; body: unknown }>;
  streamCases: Array<{ id: string; streamId: string; text: string; kind: 'chunk' | 'end'; body: unknown }>;
}

const fixture = JSON.parse(readFileSync(new URL('../../../fixtures/a2a/upstream-translation.json', import.meta.url), 'utf8')) as Fixture;
/** Bodies are read the way the toq side reads them (lossless numbers). */
const toqBody = (value: unknown): JsonValue | undefined => (value === undefined ? undefined : parseJson(JSON.stringify(value)));

describe('toq body → A2A parts', () => {
  for (const c of fixture.requestCases) {
    it(c.id, () => {
      expect(toA2aParts(toqBody(c.body)).map((p) => Part.toJSON(p))).toEqual(c.parts);
    });
  }
});

describe('A2A answer → toq reply body', () => {
  for (const c of fixture.replyCases) {
    it(c.id, () => {
      const outcome = c.message !== undefined ? toUpstreamOutcomeFromMessage(Message.fromJSON(c.message)) : toUpstreamOutcomeFromTask(Task.fromJSON(c.task));
      expect(toToqReplyBody(outcome, c.fallbackText)).toEqual(c.body);
    });
  }
});

describe('stream bodies', () => {
  for (const c of fixture.streamCases) {
    it(c.id, () => {
      expect(c.kind === 'chunk' ? toToqStreamChunkBody(c.streamId, c.text) : toToqStreamEndBody(c.streamId, c.text)).toEqual(c.body);
    });
  }
});

describe('upstream request message', () => {
  const envelope = { id: 'e1', signature: 'ed25519:sig', body: { text: 'hi' } };
  const provenance = { from: 'toq://peer.example/bob', publicKey: 'ed25519:KEY', envelopeId: 'e1', threadId: 't1', envelope };

  it('carries metadata.toq and the thread context on a follow-up', () => {
    const message = toA2aUpstreamMessage(toqBody({ text: 'hi' }), { messageId: 'e1', contextId: 'c1', taskId: 'task-1' }, provenance);
    expect(message).toMatchObject({ messageId: 'e1', contextId: 'c1', taskId: 'task-1', role: Role.ROLE_USER });
    expect(message.metadata).toEqual({ toq: { from: 'toq://peer.example/bob', publicKey: 'ed25519:KEY', envelopeId: 'e1', threadId: 't1', verified: true, envelope } });
  });

  it('leaves contextId and taskId empty on a first message (the upstream picks the context)', () => {
    const message = toA2aUpstreamMessage(toqBody({ text: 'hi' }), { messageId: 'e1' }, provenance);
    expect(message.contextId).toBe('');
    expect(message.taskId).toBe('');
  });

  it('does not alias its input', () => {
    const message = toA2aUpstreamMessage(toqBody({ text: 'hi' }), { messageId: 'e1' }, provenance);
    envelope.body.text = 'changed';
    expect((message.metadata!['toq'] as { envelope: { body: { text: string } } }).envelope.body.text).toBe('hi');
    envelope.body.text = 'hi';
  });
});

describe('task state names', () => {
  it('round-trips through the names a reply body may carry', () => {
    for (const state of [TaskState.TASK_STATE_INPUT_REQUIRED, TaskState.TASK_STATE_AUTH_REQUIRED, TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED, TaskState.TASK_STATE_REJECTED, TaskState.TASK_STATE_WORKING]) {
      expect(toA2aTaskState(toToqStateText(state))).toBe(state);
    }
  });

  it('explains errors as a failed reply', () => {
    expect(toToqErrorBody('helper', 'fetch failed: ECONNREFUSED')).toEqual({ text: 'A2A agent "helper" could not answer: fetch failed: ECONNREFUSED', parts: [], a2a: { state: 'failed' } });
  });
});
