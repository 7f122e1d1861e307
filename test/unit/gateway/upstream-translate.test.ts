// toq ⇄ A2A translation for hosted A2A upstream agents (DESIGN §5.3): provenance, state names and
// aliasing. The table cases (bodies → parts, answers → reply bodies, stream bodies) moved to
// fixtures/a2a/translation-toq-to-a2a.json, run by translation-fixtures.test.ts.

import { describe, expect, it } from 'vitest';
import { Role, TaskState } from '@a2a-js/sdk';
import { parseJson } from '../../../src/protocol/json-parse.js';
import type { JsonValue } from '../../../src/protocol/json-value.js';
import { toA2aTaskState } from '../../../src/gateway/translate/task-state.js';
import { toA2aUpstreamMessage } from '../../../src/gateway/translate/upstream-request.js';
import { toToqErrorBody, toToqStateText } from '../../../src/gateway/translate/upstream-reply.js';

/** Bodies are read the way the toq side reads them (lossless numbers). */
const toqBody = (value: unknown): JsonValue | undefined => (value === undefined ? undefined : parseJson(JSON.stringify(value)));

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
