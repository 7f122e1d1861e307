// A toq reply on an A2A thread → the A2A task update (DESIGN §5.2): a handler or SDK posts
// `{"text", "parts"?, "a2a": {"state"?}}` with the thread id; the task takes `a2a.state` when it
// names one a reply may set, else `completed`. `parts` (v1.0 ProtoJSON, or v0.3 `kind` parts,
// whose text and data members read the same) win over `text`. A completed task gets the reply
// as its artifact and its status message; other states get the status message only (a question,
// a refusal, an error or progress is conversation, not output). Pure: ids and the clock come in.

import { Part, Role, TaskState, type Artifact, type Message } from '@a2a-js/sdk';
import { AgentEvent, type AgentExecutionEvent } from '@a2a-js/sdk/server';
import type { JsonValue } from '../../protocol/json-value.js';
import { textPart, toPlainJson } from './plain-values.js';
import { toA2aTaskState } from './task-state.js';

export interface A2aReply {
  readonly state: TaskState;
  readonly parts: Part[];
  /** `a2a.state` text that named no usable state (the caller may log it); the default was used. */
  readonly ignoredState?: string;
}

export interface A2aReplyIds {
  readonly taskId: string;
  readonly contextId: string;
  /** The agent message's id (a new UUID). */
  readonly messageId: string;
  /** The artifact's id, stable per task so a repeated reply replaces rather than adds. */
  readonly artifactId: string;
  /** ISO 8601 UTC. */
  readonly timestamp: string;
}

export function toA2aReply(body: JsonValue | undefined, defaultState: TaskState = TaskState.TASK_STATE_COMPLETED): A2aReply {
  const plain = body === undefined ? undefined : toPlainJson(body);
  const object = typeof plain === 'object' && plain !== null && !Array.isArray(plain) ? (plain as Record<string, unknown>) : undefined;
  const parts: Part[] = [];
  const rawParts = object?.['parts'];
  if (Array.isArray(rawParts)) {
    for (const raw of rawParts) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) continue;
      const part = Part.fromJSON(raw);
      if (part.content !== undefined) parts.push(part);
    }
  }
  if (parts.length === 0) {
    const text = typeof object?.['text'] === 'string' ? object['text'] : '';
    parts.push(textPart(text));
  }
  const a2a = object?.['a2a'];
  const stateText = typeof a2a === 'object' && a2a !== null && !Array.isArray(a2a) ? (a2a as Record<string, unknown>)['state'] : undefined;
  if (typeof stateText !== 'string') return { state: defaultState, parts };
  const state = toA2aTaskState(stateText);
  return state === undefined ? { state: defaultState, parts, ignoredState: stateText } : { state, parts };
}

/** The events that apply a reply to its task: [artifact update,] status update. */
export function toA2aReplyEvents(reply: A2aReply, ids: A2aReplyIds): AgentExecutionEvent[] {
  const message: Message = {
    messageId: ids.messageId,
    contextId: ids.contextId,
    taskId: ids.taskId,
    role: Role.ROLE_AGENT,
    parts: reply.parts.map(clonePart),
    metadata: undefined,
    extensions: [],
    referenceTaskIds: [],
  };
  const events: AgentExecutionEvent[] = [];
  if (reply.state === TaskState.TASK_STATE_COMPLETED) {
    const artifact: Artifact = { artifactId: ids.artifactId, name: 'response', description: '', parts: reply.parts.map(clonePart), metadata: undefined, extensions: [] };
    events.push(AgentEvent.artifactUpdate({ taskId: ids.taskId, contextId: ids.contextId, artifact, append: false, lastChunk: true, metadata: undefined }));
  }
  events.push(AgentEvent.statusUpdate({ taskId: ids.taskId, contextId: ids.contextId, status: { state: reply.state, message, timestamp: ids.timestamp }, metadata: undefined }));
  return events;
}

/** A text part as the SDK builds them. */

function clonePart(part: Part): Part {
  return structuredClone(part);
}

