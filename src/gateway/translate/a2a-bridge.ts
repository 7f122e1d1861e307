// The lossless profile between two toq-gateways (DESIGN §5.1): when the far agent's toq card
// advertises `a2a-bridge/1`, nothing is guessed. The request body carries the caller's whole A2A
// v1.0 `Message` (ProtoJSON) under `a2a.message`; each answer carries one A2A v1.0
// `StreamResponse` under `a2a.event`. `text` stays on both for history views and plain readers.
// Each gateway keeps its own task and context ids toward its own A2A side: the near one rewrites
// the far side's ids into the ones its client knows (toNearEvent). Pure: ids come in, shapes are
// checked here (the bodies come from the network).

import { Message, Role, StreamResponse, TaskState, type Part, type Task } from '@a2a-js/sdk';
import type { JsonObject, JsonValue } from '../../protocol/json-value.js';
import { isJsonObject } from '../../protocol/json-value.js';
import { textPart, toPlainJson } from './plain-values.js';
import { toToqText } from './upstream-reply.js';

/** The toq card capability both gateways advertise (DESIGN §5.1). */
export const A2A_BRIDGE_CAPABILITY = 'a2a-bridge/1';

/** The near gateway's own ids for the turn (what its A2A client knows). */
export interface BridgeTurnIds {
  readonly taskId: string;
  readonly contextId: string;
}

export function hasBridgeCapability(capabilities: readonly string[] | undefined): boolean {
  return capabilities?.includes(A2A_BRIDGE_CAPABILITY) === true;
}

/** Near → far: the request body. `taskId`/`contextId` are the near side's (the far side maps its own). */
export function toBridgeRequestBody(message: Message, ids: BridgeTurnIds): JsonObject {
  return {
    text: toToqText(message.parts),
    a2a: { message: toJsonValue(Message.toJSON(message)), messageId: message.messageId, taskId: ids.taskId, contextId: ids.contextId },
  };
}

/**
 * Far side: the caller's message, when the body is a bridge request; undefined for a plain body.
 * A malformed `a2a.message` is refused (RangeError), not read as plain text: the sender said it
 * speaks the profile.
 */
export function fromBridgeRequestBody(body: JsonValue | undefined): Message | undefined {
  const raw = bridgeMember(body, 'message');
  if (raw === undefined) return undefined;
  if (!isPlainObject(raw)) throw new RangeError('a2a.message must be an object');
  if (typeof raw['messageId'] !== 'string' || raw['messageId'] === '') throw new RangeError('a2a.message.messageId must be a non-empty string');
  if (!Array.isArray(raw['parts'])) throw new RangeError('a2a.message.parts must be a list');
  checkRawParts(raw['parts'], 'a2a.message.parts');
  const message = Message.fromJSON(raw);
  if (message.parts.length === 0 || message.parts.some((p) => p.content === undefined)) throw new RangeError('a2a.message.parts must hold parts with content');
  // The caller of an A2A agent speaks as the user; anything else is not a request.
  if (message.role !== Role.ROLE_USER) throw new RangeError('a2a.message.role must be ROLE_USER');
  return message;
}

/** Far → near: one upstream event as a reply body. */
export function toBridgeEventBody(event: StreamResponse): JsonObject {
  return { text: toToqText(partsOf(event)), a2a: { event: toJsonValue(StreamResponse.toJSON(event)) } };
}

/** Far → near: the turn failed before the upstream answered (unreachable, refused): a failed status. */
export function toBridgeFailureEvent(text: string, ids: { readonly messageId: string; readonly timestamp: string }): StreamResponse {
  const message: Message = { messageId: ids.messageId, contextId: '', taskId: '', role: Role.ROLE_AGENT, parts: [textPart(text)], metadata: undefined, extensions: [], referenceTaskIds: [] };
  return { payload: { $case: 'statusUpdate', value: { taskId: '', contextId: '', status: { state: TaskState.TASK_STATE_FAILED, message, timestamp: ids.timestamp }, metadata: undefined } } };
}

/** Near side: the far side's event, when the body is a bridge answer; undefined for a plain body. */
export function fromBridgeEventBody(body: JsonValue | undefined): StreamResponse | undefined {
  const raw = bridgeMember(body, 'event');
  if (raw === undefined) return undefined;
  if (!isPlainObject(raw)) throw new RangeError('a2a.event must be an object');
  const event = StreamResponse.fromJSON(raw);
  if (event.payload === undefined) throw new RangeError('a2a.event names no task, message, statusUpdate or artifactUpdate');
  checkEvent(event, raw);
  return event;
}

/** The SDK's reader fills in defaults for anything missing; an event must say something real. */
function checkEvent(event: StreamResponse, raw: Record<string, unknown>): void {
  const payload = event.payload!;
  const member = raw[payload.$case];
  switch (payload.$case) {
    case 'message':
      if (payload.value.messageId === '' || payload.value.parts.length === 0) throw new RangeError('a2a.event.message needs a messageId and parts');
      if (isPlainObject(member)) checkRawParts(member['parts'], 'a2a.event.message.parts');
      return;
    case 'task':
      if (payload.value.id === '' || !isKnownState(payload.value.status?.state)) throw new RangeError('a2a.event.task needs an id and a known status state');
      return;
    case 'statusUpdate':
      if (!isKnownState(payload.value.status?.state)) throw new RangeError('a2a.event.statusUpdate needs a known status state');
      return;
    case 'artifactUpdate': {
      const artifact = payload.value.artifact;
      if (artifact === undefined || artifact.artifactId === '' || artifact.parts.length === 0) throw new RangeError('a2a.event.artifactUpdate needs an artifact with an id and parts');
      const rawArtifact = isPlainObject(member) ? member['artifact'] : undefined;
      if (isPlainObject(rawArtifact)) checkRawParts(rawArtifact['parts'], 'a2a.event.artifactUpdate.artifact.parts');
      return;
    }
  }
}

/** One of the states the enum names (the SDK's reader gives UNRECOGNIZED, -1, for any other text). */
function isKnownState(state: TaskState | undefined): boolean {
  return state !== undefined && state > TaskState.TASK_STATE_UNSPECIFIED && TaskState[state] !== undefined;
}

/** ProtoJSON `bytes`: standard or URL-safe base64 (the SDK's reader would turn anything else into empty bytes). */
const BASE64 = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$/;

/** Parts must be objects, and a `raw` part real base64: a part that cannot be read is refused, not emptied. */
function checkRawParts(parts: unknown, where: string): void {
  if (!Array.isArray(parts)) return;
  for (const part of parts) {
    if (!isPlainObject(part)) throw new RangeError(`${where} must hold objects`);
    const raw = part['raw'];
    if (raw !== undefined && (typeof raw !== 'string' || !BASE64.test(raw))) throw new RangeError(`${where}: raw must be base64`);
  }
}

/**
 * The far side's event in the near side's ids: every task and context id it carries (the task,
 * its status and history messages, an update's ids) becomes the near turn's. A direct `Message`
 * keeps an empty taskId when it had none (it stays a message, not a task update).
 */
export function toNearEvent(event: StreamResponse, ids: BridgeTurnIds): StreamResponse {
  const payload = event.payload;
  if (payload === undefined) return event;
  switch (payload.$case) {
    case 'message':
      return { payload: { $case: 'message', value: rewriteMessage(payload.value, ids, payload.value.taskId === '') } };
    case 'task':
      return { payload: { $case: 'task', value: rewriteTask(payload.value, ids) } };
    case 'statusUpdate': {
      const update = payload.value;
      const status = update.status === undefined ? undefined : { ...update.status, message: update.status.message && rewriteMessage(update.status.message, ids, false) };
      return { payload: { $case: 'statusUpdate', value: { ...update, taskId: ids.taskId, contextId: ids.contextId, status } } };
    }
    case 'artifactUpdate':
      return { payload: { $case: 'artifactUpdate', value: { ...payload.value, taskId: ids.taskId, contextId: ids.contextId } } };
  }
}

function rewriteTask(task: Task, ids: BridgeTurnIds): Task {
  const status = task.status === undefined ? undefined : { ...task.status, message: task.status.message && rewriteMessage(task.status.message, ids, false) };
  return { ...task, id: ids.taskId, contextId: ids.contextId, status, history: task.history.map((m) => rewriteMessage(m, ids, false)) };
}

function rewriteMessage(message: Message, ids: BridgeTurnIds, isDirect: boolean): Message {
  return { ...message, taskId: isDirect ? '' : ids.taskId, contextId: ids.contextId, metadata: withoutProvenance(message.metadata) };
}

/**
 * The far gateway put `metadata.toq` (the signed envelope, DESIGN §4) on the caller's message for
 * its upstream; an upstream that echoes the message in a task's history must not hand our
 * provenance (toq's snake_case wire fields included) back to the caller.
 */
function withoutProvenance(metadata: Message['metadata']): Message['metadata'] {
  if (metadata === undefined || !('toq' in metadata)) return metadata;
  const { toq: _provenance, ...rest } = metadata;
  return Object.keys(rest).length === 0 ? undefined : rest;
}

function partsOf(event: StreamResponse): readonly Part[] {
  const payload = event.payload;
  switch (payload?.$case) {
    case 'message':
      return payload.value.parts;
    case 'task': {
      const artifactParts = payload.value.artifacts.flatMap((a) => a.parts);
      return artifactParts.length > 0 ? artifactParts : (payload.value.status?.message?.parts ?? []);
    }
    case 'statusUpdate':
      return payload.value.status?.message?.parts ?? [];
    case 'artifactUpdate':
      return payload.value.artifact?.parts ?? [];
    case undefined:
      return [];
  }
}

function bridgeMember(body: JsonValue | undefined, key: 'message' | 'event'): unknown {
  if (!isJsonObject(body)) return undefined;
  const a2a = body['a2a'];
  if (!isJsonObject(a2a)) return undefined;
  const member = a2a[key];
  return member === undefined ? undefined : toPlainJson(member);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** ProtoJSON output is plain JSON already; a deep copy keeps it from sharing `data` values with the input. */
function toJsonValue(value: unknown): JsonValue {
  return structuredClone(value) as JsonValue;
}
