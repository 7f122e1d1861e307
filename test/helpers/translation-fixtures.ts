// Runs the translation fixtures (fixtures/a2a/translation-a2a-to-toq.json, DESIGN §5.2,
// translation-toq-to-a2a.json, §5.3, and translation-bridge.json, §5.1, the lossless profile
// between two gateways) against one set of translator modules: ours from
// src/gateway/translate, or a mutated copy (translation-mutation.test.ts). Every case with an A2A
// side runs once per shape. v1: v1.0 ProtoJSON read and written with the SDK's fromJSON/toJSON.
// v03: through the SDK's own v0.3 compat layer, the path the gateway's traffic takes: the server
// side's LegacyJsonRpcTransportHandler turns what a v0.3 client sends into v1.0 and our events
// into what it receives; the client side's LegacyJsonRpcTransport turns our upstream message into
// what a v0.3 upstream receives and its answers into v1.0. Faked: only the agent behind the
// SDK's handler and the upstream's HTTP endpoint (a fetch that answers from the fixture).
// The sequencing the bridges do (which ids go in, the order of pieces, when a stream ends) is
// written out here in a few lines per kind, as fixtures/README.md describes it for other
// implementations. It must not translate anything itself: every value comes from the modules.

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { expect } from 'vitest';
import { CancelTaskRequest, Message, Part, Role, StreamResponse, Task, TaskState, taskStateFromJSON, type SendMessageRequest } from '@a2a-js/sdk';
import { LegacyJsonRpcTransport } from '@a2a-js/sdk/compat/v0_3/client';
import { LegacyJsonRpcTransportHandler } from '@a2a-js/sdk/compat/v0_3/server';
import { AgentEvent, JsonRpcTransportHandler, ServerCallContext, type A2ARequestHandler, type AgentExecutionEvent } from '@a2a-js/sdk/server';
import * as jsonParse from '../../src/protocol/json-parse.js';
import type { JsonValue } from '../../src/protocol/json-value.js';
import * as a2aBridge from '../../src/gateway/translate/a2a-bridge.js';
import * as a2aMessage from '../../src/gateway/translate/a2a-message.js';
import * as a2aReply from '../../src/gateway/translate/a2a-reply.js';
import * as cancelMessage from '../../src/gateway/translate/cancel-message.js';
import * as deliveryFailure from '../../src/gateway/translate/delivery-failure.js';
import * as fileLimits from '../../src/gateway/translate/file-limits.js';
import * as streamChunk from '../../src/gateway/translate/stream-chunk.js';
import * as taskState from '../../src/gateway/translate/task-state.js';
import * as threadId from '../../src/gateway/translate/thread-id.js';
import * as upstreamReply from '../../src/gateway/translate/upstream-reply.js';
import * as upstreamRequest from '../../src/gateway/translate/upstream-request.js';
import { toStreamResponse } from '../../src/gateway/task-events.js';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** The translator modules the fixtures exercise, by the file name under src/gateway/translate. */
export interface Translators {
  readonly 'a2a-bridge': typeof a2aBridge;
  readonly 'a2a-message': typeof a2aMessage;
  readonly 'a2a-reply': typeof a2aReply;
  readonly 'cancel-message': typeof cancelMessage;
  readonly 'delivery-failure': typeof deliveryFailure;
  readonly 'file-limits': typeof fileLimits;
  readonly 'stream-chunk': typeof streamChunk;
  readonly 'task-state': typeof taskState;
  readonly 'thread-id': typeof threadId;
  readonly 'upstream-reply': typeof upstreamReply;
  readonly 'upstream-request': typeof upstreamRequest;
  /** The toq side's JSON reader, from the same copy (its JsonNumber is the one the translators know). */
  readonly 'json-parse': typeof jsonParse;
}

export const SOURCE_TRANSLATORS: Translators = {
  'a2a-bridge': a2aBridge,
  'a2a-message': a2aMessage,
  'a2a-reply': a2aReply,
  'cancel-message': cancelMessage,
  'delivery-failure': deliveryFailure,
  'file-limits': fileLimits,
  'stream-chunk': streamChunk,
  'task-state': taskState,
  'thread-id': threadId,
  'upstream-reply': upstreamReply,
  'upstream-request': upstreamRequest,
  'json-parse': jsonParse,
};

/** Imports a compiled copy of src/: `<root>/src/gateway/translate/<name>.js` and `<root>/src/protocol/json-parse.js`. */
export async function importTranslators(root: string): Promise<Translators> {
  const pathOf = (name: string): string => (name === 'json-parse' ? join(root, 'src', 'protocol', 'json-parse.js') : join(root, 'src', 'gateway', 'translate', `${name}.js`));
  const entries = await Promise.all(Object.keys(SOURCE_TRANSLATORS).map(async (name) => [name, (await import(pathToFileURL(pathOf(name)).href)) as unknown] as const));
  return Object.fromEntries(entries) as unknown as Translators;
}

export type Shape = 'v1' | 'v03' | 'any';

export interface TranslationRun {
  /** Which fixture file: `a2a-to-toq` (§5.2), `toq-to-a2a` (§5.3) or `bridge` (§5.1). */
  readonly file: 'a2a-to-toq' | 'toq-to-a2a' | 'bridge';
  readonly id: string;
  readonly kind: string;
  /** The A2A shape this run feeds and expects; `any` for cases without an A2A side. */
  readonly shape: Shape;
  /** Throws (a vitest assertion error) when the translators do not give what the case expects. */
  run(t: Translators): Promise<void>;
}

// ------------------------------------------------------------------------------------------------
// Fixture shapes

type Obj = Record<string, unknown>;
interface BaseCase {
  readonly id: string;
  readonly comment: string;
  readonly kind: string;
  readonly v1?: Obj;
  readonly v03?: Obj;
}
interface A2aDefaults {
  readonly agent: string;
  readonly principal: string;
  readonly contextId: string;
  readonly taskId: string;
  readonly agentMessageId: string;
  readonly timestamp: string;
  readonly toqMessageId: string;
}
interface ThreadKey {
  readonly agent: string;
  readonly principal: string;
  readonly contextId: string;
  readonly generation: number;
}
interface A2aCase extends BaseCase {
  readonly toq?: Obj;
  readonly key?: ThreadKey;
  readonly threadId?: string;
  readonly nextThreadId?: string;
  readonly body?: unknown;
  readonly replyState?: string;
  readonly state?: string;
  readonly ignoredState?: string;
  readonly pieces?: ReadonlyArray<{ readonly type: string; readonly body?: unknown }>;
  readonly failure?: deliveryFailure.DeliveryFailure;
  /** late-error: the peer's system.error; `delivered` when it fails nothing. */
  readonly error?: deliveryFailure.PeerError;
  readonly delivered?: boolean;
  /** file-limits / card-file-limits. */
  readonly limits?: fileLimits.FileLimits;
  readonly card?: fileLimits.FileLimitsCard;
  readonly fill?: ReadonlyArray<{ readonly part: number; readonly bytes: number }>;
  readonly target?: string;
  readonly text?: string;
  readonly turn?: { readonly taskId: string; readonly envelopeId: string; readonly threadId: string };
  readonly test?: { readonly file: string; readonly title: string };
  readonly documented?: { readonly file: string; readonly contains: string };
}
interface ToqCase extends BaseCase {
  readonly envelope?: Obj & { readonly id: string; readonly from: string; readonly thread_id?: string; readonly body?: unknown };
  readonly peerKey?: string;
  readonly upstream?: { readonly contextId?: string; readonly taskId?: string };
  readonly body?: unknown;
  readonly fallbackText?: string;
  readonly streamId?: string;
  readonly agent?: string;
  readonly reason?: string;
  readonly toq?: unknown;
  readonly test?: { readonly file: string; readonly title: string };
  readonly documented?: { readonly file: string; readonly contains: string };
}

interface BridgeTurn {
  readonly taskId: string;
  readonly contextId: string;
}
interface BridgeCase extends BaseCase {
  readonly toq?: { readonly body?: Obj; readonly bodies?: Obj[] };
  readonly envelope?: Obj & { readonly id: string; readonly from: string; readonly thread_id?: string; readonly body?: unknown };
  readonly peerKey?: string;
  readonly upstream?: { readonly contextId?: string; readonly taskId?: string };
  readonly agent?: string;
  readonly reason?: string;
  readonly messageId?: string;
  readonly timestamp?: string;
  readonly member?: 'message' | 'event';
  readonly body?: unknown;
  readonly capabilities?: string[];
  readonly bridge?: boolean;
  readonly capability?: string;
  readonly test?: { readonly file: string; readonly title: string };
}

function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(REPO_ROOT, 'fixtures', 'a2a', name), 'utf8')) as T;
}

export const A2A_TO_TOQ = loadFixture<{ defaults: A2aDefaults; cases: A2aCase[] }>('translation-a2a-to-toq.json');
export const TOQ_TO_A2A = loadFixture<{ cases: ToqCase[] }>('translation-toq-to-a2a.json');
export const BRIDGE = loadFixture<{ defaults: { turn: BridgeTurn; capability: string }; cases: BridgeCase[] }>('translation-bridge.json');

/** Kinds whose cases are references to other tests or documents, not translations. */
const REFERENCE_KINDS = new Set(['behaviour', 'gap']);

/** Every run of the three files: one per case and shape. */
export function translationRuns(): TranslationRun[] {
  const runs: TranslationRun[] = [];
  for (const c of A2A_TO_TOQ.cases) {
    for (const shape of shapesOf(c)) runs.push({ file: 'a2a-to-toq', id: c.id, kind: c.kind, shape, run: (t) => runA2aCase(t, c, shape) });
  }
  for (const c of TOQ_TO_A2A.cases) {
    for (const shape of shapesOf(c)) runs.push({ file: 'toq-to-a2a', id: c.id, kind: c.kind, shape, run: (t) => runToqCase(t, c, shape) });
  }
  for (const c of BRIDGE.cases) {
    for (const shape of shapesOf(c)) runs.push({ file: 'bridge', id: c.id, kind: c.kind, shape, run: (t) => runBridgeCase(t, c, shape) });
  }
  return runs;
}

export function isReferenceRun(run: TranslationRun): boolean {
  return REFERENCE_KINDS.has(run.kind);
}

function shapesOf(c: BaseCase): Shape[] {
  const shapes: Shape[] = [];
  if (c.v1 !== undefined) shapes.push('v1');
  if (c.v03 !== undefined) shapes.push('v03');
  return shapes.length > 0 ? shapes : ['any'];
}

/** An expected value; a missing one is a broken fixture, not a pass. */
function need(holder: object, key: string, id: string): unknown {
  const value = (holder as Obj)[key];
  if (value === undefined) throw new Error(`case ${id} has no ${key}`);
  return value;
}

function side(c: BaseCase, shape: Shape): Obj {
  const value = shape === 'v1' ? c.v1 : shape === 'v03' ? c.v03 : undefined;
  if (value === undefined) throw new Error(`case ${c.id} has no ${shape} member`);
  return value;
}

// ------------------------------------------------------------------------------------------------
// §5.2: A2A client → plain toq agent

async function runA2aCase(t: Translators, c: A2aCase, shape: Shape): Promise<void> {
  const d = A2A_TO_TOQ.defaults;
  switch (c.kind) {
    case 'send': {
      const a2a = side(c, shape);
      const message = shape === 'v1' ? Message.fromJSON(a2a['message']) : await v03ToV1Message(a2a['message']);
      const thread = t['thread-id'].toToqThreadId({ agent: d.agent, principal: d.principal, contextId: message.contextId, generation: 0 });
      const incoming = t['a2a-message'].toToqIncomingMessage(message, { id: d.toqMessageId, threadId: thread, taskId: d.taskId, contextId: message.contextId, timestamp: d.timestamp });
      expect(wire(incoming)).toEqual(need(c, 'toq', c.id));
      return;
    }
    case 'thread-id':
      expect(t['thread-id'].toToqThreadId(c.key!)).toBe(c.threadId);
      return;
    case 'reply':
    case 'close': {
      const body = toqJson(t, c.body);
      // thread.close: the body is the last reply, completing the task (DESIGN §5.2).
      const reply =
        c.kind === 'close' ? t['a2a-reply'].toA2aReply(body, TaskState.TASK_STATE_COMPLETED) : c.replyState === undefined ? t['a2a-reply'].toA2aReply(body) : t['a2a-reply'].toA2aReply(body, taskStateFromJSON(c.replyState));
      expect(reply.state).toBe(taskStateFromJSON(c.state));
      expect(reply.ignoredState).toBe(c.ignoredState);
      const events = t['a2a-reply'].toA2aReplyEvents(reply, { taskId: d.taskId, contextId: d.contextId, messageId: d.agentMessageId, artifactId: `${d.taskId}-response`, timestamp: d.timestamp });
      expect(await eventsAs(shape, events)).toEqual(need(side(c, shape), 'events', c.id));
      if (c.kind === 'close') expect(t['thread-id'].toToqThreadId({ ...c.key!, generation: c.key!.generation + 1 })).toBe(c.nextThreadId);
      return;
    }
    case 'stream': {
      const pieces = c.pieces!;
      const events = pieces.map((p, i) => {
        const piece = t['stream-chunk'].toA2aStreamPiece(toqJson(t, p.body));
        const ids = { taskId: d.taskId, contextId: d.contextId, artifactId: t['stream-chunk'].streamArtifactId(d.taskId, piece.streamId) };
        return t['stream-chunk'].toA2aChunkEvent(piece, ids, { append: i > 0, lastChunk: p.type === 'message.stream.end' });
      });
      const isEnded = pieces.at(-1)?.type === 'message.stream.end';
      if (isEnded) events.push(statusEvent(TaskState.TASK_STATE_COMPLETED, undefined));
      expect(isEnded ? 'TASK_STATE_COMPLETED' : 'TASK_STATE_WORKING').toBe(c.state);
      expect(await eventsAs(shape, events)).toEqual(need(side(c, shape), 'events', c.id));
      return;
    }
    case 'failure': {
      const text = t['delivery-failure'].toA2aFailureText(c.failure!, c.target!);
      expect(text).toBe(c.text);
      expect(await eventsAs(shape, [statusEvent(taskStateFromJSON(c.state), text)])).toEqual(need(side(c, shape), 'events', c.id));
      return;
    }
    case 'late-error': {
      const text = t['delivery-failure'].toA2aLateErrorText(c.error!, c.target!);
      if (c.delivered === true) {
        expect(text).toBeUndefined();
        return;
      }
      expect(text).toBe(c.text);
      expect(await eventsAs(shape, [statusEvent(taskStateFromJSON(c.state), text)])).toEqual(need(side(c, shape), 'events', c.id));
      return;
    }
    case 'file-limits': {
      const a2a = side(c, shape);
      const message = withFill(shape, a2a['message'], c.fill ?? []);
      const answer = await sendAs(shape, message, (m) => t['file-limits'].checkA2aFileParts(m, c.limits!));
      if (a2a['accepted'] === true) expect(answer.error, `case ${c.id} must be accepted`).toBeUndefined();
      else expect(answer.error === undefined ? undefined : { code: answer.error.code, message: answer.error.message }).toEqual(need(a2a, 'error', c.id));
      return;
    }
    case 'card-file-limits':
      expect(t['file-limits'].toFileLimits(c.card)).toEqual(c.limits);
      return;
    case 'cancel': {
      const a2a = side(c, shape);
      const taskId = shape === 'v1' ? CancelTaskRequest.fromJSON(a2a['request']).id : await v03ToV1CancelId(a2a['params']);
      expect(taskId).toBe(c.turn!.taskId);
      expect(wire(t['cancel-message'].toToqCancel(c.turn!.envelopeId, c.turn!.threadId))).toEqual(need(c, 'toq', c.id));
      return;
    }
    case 'behaviour':
      expectFileContains(c.test!.file, c.test!.title);
      return;
    case 'gap':
      expectFileContains(c.documented!.file, c.documented!.contains);
      return;
    default:
      throw new Error(`translation-a2a-to-toq.json: case ${c.id} has unknown kind ${c.kind}`);
  }
}

/** The status update a bridge publishes itself (task-events.ts statusEvent), with the fixture's ids. */
function statusEvent(state: TaskState, text: string | undefined): AgentExecutionEvent {
  const d = A2A_TO_TOQ.defaults;
  const message: Message | undefined =
    text === undefined
      ? undefined
      : { messageId: d.agentMessageId, contextId: d.contextId, taskId: d.taskId, role: Role.ROLE_AGENT, parts: [{ content: { $case: 'text', value: text }, mediaType: 'text/plain', filename: '', metadata: undefined }], metadata: undefined, extensions: [], referenceTaskIds: [] };
  return AgentEvent.statusUpdate({ taskId: d.taskId, contextId: d.contextId, status: { state, message, timestamp: d.timestamp }, metadata: undefined });
}

// ------------------------------------------------------------------------------------------------
// §5.3: toq peer → A2A upstream

async function runToqCase(t: Translators, c: ToqCase, shape: Shape): Promise<void> {
  switch (c.kind) {
    case 'request': {
      const env = c.envelope!;
      const up = c.upstream ?? {};
      const message = t['upstream-request'].toA2aUpstreamMessage(
        toqJson(t, env.body),
        { messageId: env.id, ...(up.contextId !== undefined && { contextId: up.contextId }), ...(up.taskId !== undefined && { taskId: up.taskId }) },
        { from: env.from, publicKey: c.peerKey!, envelopeId: env.id, ...(env.thread_id !== undefined && { threadId: env.thread_id }), envelope: structuredClone(env) },
      );
      const got = shape === 'v1' ? wire(Message.toJSON(message)) : await v1MessageAsV03(message);
      expect(got).toEqual(need(side(c, shape), 'message', c.id));
      return;
    }
    case 'request-parts': {
      const parts = t['upstream-request'].toA2aParts(toqJson(t, c.body));
      const got = shape === 'v1' ? wire(parts.map((p) => Part.toJSON(p))) : ((await v1MessageAsV03(userMessage(parts))) as Obj)['parts'];
      expect(got).toEqual(need(side(c, shape), 'parts', c.id));
      return;
    }
    case 'answer': {
      const a2a = side(c, shape);
      const isMessage = a2a['message'] !== undefined;
      const answer: Message | Task =
        shape === 'v1' ? (isMessage ? Message.fromJSON(a2a['message']) : Task.fromJSON(a2a['task'])) : await v03AnswerToV1(isMessage ? a2a['message'] : a2a['task']);
      const outcome = 'messageId' in answer ? t['upstream-reply'].toUpstreamOutcomeFromMessage(answer) : t['upstream-reply'].toUpstreamOutcomeFromTask(answer);
      expect(wire(t['upstream-reply'].toToqReplyBody(outcome, c.fallbackText))).toEqual(need(need(c, 'toq', c.id) as Obj, 'body', c.id));
      return;
    }
    case 'stream': {
      const raw = need(side(c, shape), 'events', c.id) as unknown[];
      const events = shape === 'v1' ? raw.map((e) => StreamResponse.fromJSON(e)) : await v03StreamToV1(raw);
      expect(wire(upstreamStreamReplies(t, events, c.streamId!))).toEqual(need(c, 'toq', c.id));
      return;
    }
    case 'error':
      expect(wire(t['upstream-reply'].toToqErrorBody(c.agent!, c.reason!))).toEqual(need(need(c, 'toq', c.id) as Obj, 'body', c.id));
      return;
    case 'behaviour':
      expectFileContains(c.test!.file, c.test!.title);
      return;
    case 'gap':
      expectFileContains(c.documented!.file, c.documented!.contains);
      return;
    default:
      throw new Error(`translation-toq-to-a2a.json: case ${c.id} has unknown kind ${c.kind}`);
  }
}

/**
 * What the toq sender gets for one upstream answer (a2a-upstream-bridge.ts): an artifact event is a
 * chunk unless it is a whole artifact (append false and lastChunk true); the answer ends at a
 * Message, a terminal task or a terminal or paused status update (or, failing those, at a paused
 * task snapshot that was its last word); chunks are closed by an end that
 * repeats their whole text; then a message.send unless the chunks completed the task.
 */
function upstreamStreamReplies(t: Translators, events: readonly StreamResponse[], streamId: string): Array<{ type: string; body: unknown }> {
  const reply = t['upstream-reply'];
  const isFinal = (s: TaskState): boolean => t['task-state'].isTerminalTaskState(s) || t['task-state'].isInterruptedTaskState(s);
  const out: Array<{ type: string; body: unknown }> = [];
  const artifactParts: Part[] = [];
  let wholeText = '';
  let chunks = 0;
  let outcome: upstreamReply.UpstreamOutcome | undefined;
  let lastTask: Task | undefined;
  for (const event of events) {
    const payload = event.payload;
    if (payload === undefined) continue;
    if (payload.$case === 'message') outcome = reply.toUpstreamOutcomeFromMessage(payload.value);
    else if (payload.$case === 'task') {
      // A paused snapshot inside the answer is not its end (agents republish it first); only the last one is.
      lastTask = payload.value;
      if (t['task-state'].isTerminalTaskState(payload.value.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED)) outcome = reply.toUpstreamOutcomeFromTask(payload.value);
    } else if (payload.$case === 'artifactUpdate') {
      const parts = payload.value.artifact?.parts ?? [];
      artifactParts.push(...parts);
      if (payload.value.append || !payload.value.lastChunk) {
        const text = reply.toToqText(parts);
        wholeText += text;
        out.push({ type: 'message.stream.chunk', body: reply.toToqStreamChunkBody(streamId, text) });
        chunks += 1;
      }
    } else {
      const state = payload.value.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED;
      if (isFinal(state)) {
        const isCompleted = state === TaskState.TASK_STATE_COMPLETED;
        outcome = { state, parts: isCompleted && artifactParts.length > 0 ? artifactParts : (payload.value.status?.message?.parts ?? []) };
      }
    }
    if (outcome !== undefined) break;
  }
  if (outcome === undefined && lastTask !== undefined && t['task-state'].isInterruptedTaskState(lastTask.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED)) {
    outcome = reply.toUpstreamOutcomeFromTask(lastTask);
  }
  if (outcome === undefined) return out;
  const isCompleted = outcome.state === TaskState.TASK_STATE_COMPLETED;
  const fallback = `upstream task ${reply.toToqStateText(outcome.state)}`;
  if (chunks > 0) out.push({ type: 'message.stream.end', body: reply.toToqStreamEndBody(streamId, wholeText) });
  if (chunks === 0 || !isCompleted) out.push({ type: 'message.send', body: reply.toToqReplyBody(outcome, isCompleted ? undefined : fallback) });
  return out;
}

// ------------------------------------------------------------------------------------------------
// §5.1: between two toq-gateways (lossless)

async function runBridgeCase(t: Translators, c: BridgeCase, shape: Shape): Promise<void> {
  const bridge = t['a2a-bridge'];
  const turn = BRIDGE.defaults.turn;
  switch (c.kind) {
    case 'request': {
      const a2a = side(c, shape);
      const caller = shape === 'v1' ? Message.fromJSON(a2a['message']) : await v03ToV1Message(a2a['message']);
      // The SDK's request context hands the executor the caller's message with the turn's ids.
      const body = bridge.toBridgeRequestBody({ ...caller, taskId: turn.taskId, contextId: turn.contextId }, turn);
      const expected = need(need(c, 'toq', c.id) as Obj, 'body', c.id) as Obj;
      expect(wire(body)).toEqual(expected);
      // The far side reads the fixture's body back as the same message; it is not an event body.
      const read = bridge.fromBridgeRequestBody(toqJson(t, expected));
      expect(read && wire(Message.toJSON(read))).toEqual((expected['a2a'] as Obj)['message']);
      expect(bridge.fromBridgeEventBody(toqJson(t, expected))).toBeUndefined();
      return;
    }
    case 'upstream-message': {
      const env = c.envelope!;
      const caller = bridge.fromBridgeRequestBody(toqJson(t, env.body));
      if (caller === undefined) throw new Error(`case ${c.id}: the envelope's body is not a bridge request`);
      const up = c.upstream ?? {};
      const message = t['upstream-request'].toA2aUpstreamBridgedMessage(
        caller,
        { ...(up.contextId !== undefined && { contextId: up.contextId }), ...(up.taskId !== undefined && { taskId: up.taskId }) },
        { from: env.from, publicKey: c.peerKey!, envelopeId: env.id, ...(env.thread_id !== undefined && { threadId: env.thread_id }), envelope: structuredClone(env) },
      );
      const got = shape === 'v1' ? wire(Message.toJSON(message)) : await v1MessageAsV03(message);
      expect(got).toEqual(need(side(c, shape), 'message', c.id));
      return;
    }
    case 'event': {
      const a2a = side(c, shape);
      const raw = need(a2a, 'events', c.id) as unknown[];
      const far = shape === 'v1' ? raw.map((e) => StreamResponse.fromJSON(e)) : await v03StreamToV1(raw);
      const bodies = need(need(c, 'toq', c.id) as Obj, 'bodies', c.id) as Obj[];
      expect(wire(far.map((e) => bridge.toBridgeEventBody(e)))).toEqual(bodies);
      // The near half starts from the fixture's bodies, so each half is pinned on its own.
      expect(await responsesAs(shape, bodies.map((b) => nearEvent(t, b)))).toEqual(need(a2a, 'near', c.id));
      for (const b of bodies) expect(bridge.fromBridgeRequestBody(toqJson(t, b))).toBeUndefined();
      return;
    }
    case 'failure': {
      // The far gateway's failure reply: the §5.3 explanation text as a failed status (a2a-upstream-bridge.ts).
      const text = t['upstream-reply'].toToqErrorBody(c.agent!, c.reason!)['text'];
      if (typeof text !== 'string') throw new Error(`case ${c.id}: the error body has no text`);
      const body = need(need(c, 'toq', c.id) as Obj, 'body', c.id) as Obj;
      expect(wire(bridge.toBridgeEventBody(bridge.toBridgeFailureEvent(text, { messageId: c.messageId!, timestamp: c.timestamp! })))).toEqual(body);
      expect(await responsesAs(shape, [nearEvent(t, body)])).toEqual(need(side(c, shape), 'near', c.id));
      return;
    }
    case 'malformed': {
      const body = toqJson(t, c.body);
      const read = c.member === 'message' ? bridge.fromBridgeRequestBody : bridge.fromBridgeEventBody;
      let error: unknown;
      try {
        read(body);
      } catch (err) {
        error = err;
      }
      expect(error, `case ${c.id} must be refused`).toBeInstanceOf(RangeError);
      expect((error as Error).message).toBe(c.reason);
      // The other reader finds no member of its own: plain to it.
      expect((c.member === 'message' ? bridge.fromBridgeEventBody : bridge.fromBridgeRequestBody)(body)).toBeUndefined();
      return;
    }
    case 'plain':
      expect(bridge.fromBridgeRequestBody(toqJson(t, c.body))).toBeUndefined();
      expect(bridge.fromBridgeEventBody(toqJson(t, c.body))).toBeUndefined();
      return;
    case 'capability':
      expect(bridge.hasBridgeCapability(c.capabilities)).toBe(c.bridge);
      return;
    case 'capability-name':
      expect(bridge.A2A_BRIDGE_CAPABILITY).toBe(c.capability);
      expect(BRIDGE.defaults.capability).toBe(c.capability);
      return;
    case 'behaviour':
      expectFileContains(c.test!.file, c.test!.title);
      return;
    default:
      throw new Error(`translation-bridge.json: case ${c.id} has unknown kind ${c.kind}`);
  }
}

/** The near gateway with one reply body of the far side: the event in the near turn's ids. */
function nearEvent(t: Translators, body: Obj): StreamResponse {
  const event = t['a2a-bridge'].fromBridgeEventBody(toqJson(t, body));
  if (event === undefined) throw new Error(`not a bridge event body: ${JSON.stringify(body)}`);
  return t['a2a-bridge'].toNearEvent(event, BRIDGE.defaults.turn);
}

function userMessage(parts: Part[]): Message {
  return { messageId: 'probe', contextId: '', taskId: '', role: Role.ROLE_USER, parts, metadata: undefined, extensions: [], referenceTaskIds: [] };
}

// ------------------------------------------------------------------------------------------------
// Shapes: v1.0 ProtoJSON and the SDK's v0.3 compat layer

/** What goes on the wire: JSON text read back (drops undefined members, checks it is JSON). */
function wire(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

/** A fixture's toq body as the toq side holds it (lossless numbers); absent stays absent. */
function toqJson(t: Translators, value: unknown): JsonValue | undefined {
  return value === undefined ? undefined : t['json-parse'].parseJson(JSON.stringify(value));
}


/** v1: StreamResponse ProtoJSON; v03: the `result` of each v0.3 SSE event the SDK's compat handler writes. */
async function eventsAs(shape: Shape, events: readonly AgentExecutionEvent[]): Promise<unknown> {
  return responsesAs(shape, events.map(toStreamResponse));
}

/** v1: StreamResponse ProtoJSON; v03: the `result` of each v0.3 SSE event the SDK's compat handler writes. */
async function responsesAs(shape: Shape, responses: readonly StreamResponse[]): Promise<unknown> {
  if (shape === 'v1') return wire(responses.map((r) => StreamResponse.toJSON(r)));
  const handler = new LegacyJsonRpcTransportHandler(fakeAgent({ stream: responses }));
  const probe = { kind: 'message', messageId: 'probe', role: 'user', parts: [{ kind: 'text', text: '' }] };
  const answer = await handler.handle({ jsonrpc: '2.0', id: 1, method: 'message/stream', params: { message: probe } }, new ServerCallContext());
  if (!(Symbol.asyncIterator in answer)) throw new Error(`the v0.3 handler answered ${JSON.stringify(answer)}`);
  const results: unknown[] = [];
  for await (const envelope of answer) {
    if (envelope.error !== undefined) throw new Error(`the v0.3 handler sent an error event: ${JSON.stringify(envelope.error)}`);
    results.push(envelope.result);
  }
  return wire(results);
}

/** A v0.3 `message/send` message as the gateway's A2A handler receives it (v1.0, converted by the SDK). */
async function v03ToV1Message(message: unknown): Promise<Message> {
  let received: SendMessageRequest | undefined;
  const handler = new LegacyJsonRpcTransportHandler(fakeAgent({ onSend: (request) => (received = request) }));
  const answer = await handler.handle({ jsonrpc: '2.0', id: 1, method: 'message/send', params: { message } }, new ServerCallContext());
  if (received?.message === undefined) throw new Error(`the v0.3 handler did not pass the message on: ${JSON.stringify(answer)}`);
  return received.message;
}

/** A fixture message with its `fill` parts' bytes written in: `bytes` zero bytes, base64 (v1 `raw`, v03 `file.bytes`). */
function withFill(shape: Shape, message: unknown, fill: ReadonlyArray<{ readonly part: number; readonly bytes: number }>): unknown {
  const copy = structuredClone(message) as { parts: Obj[] };
  for (const f of fill) {
    const part = copy.parts[f.part];
    if (part === undefined) throw new Error(`fill names part ${f.part}, which the message does not have`);
    const base64 = Buffer.alloc(f.bytes).toString('base64');
    if (shape === 'v1') part['raw'] = base64;
    else (part['file'] as Obj)['bytes'] = base64;
  }
  return copy;
}

/**
 * A SendMessage through the SDK's JSON-RPC handler of the shape (v1.0 `SendMessage`, v0.3
 * `message/send`), the agent behind it running `check` on the message it is given first: the
 * answer as the client gets it.
 */
async function sendAs(shape: Shape, message: unknown, check: (message: Message) => void): Promise<{ error?: { code: number; message: string } }> {
  const agent = fakeAgent({ onSend: (request) => check(request.message!) });
  const answer =
    shape === 'v1'
      ? await new JsonRpcTransportHandler(agent).handle({ jsonrpc: '2.0', id: 1, method: 'SendMessage', params: { message } }, new ServerCallContext())
      : await new LegacyJsonRpcTransportHandler(agent).handle({ jsonrpc: '2.0', id: 1, method: 'message/send', params: { message } }, new ServerCallContext());
  if (Symbol.asyncIterator in answer) throw new Error('the handler answered a send with a stream');
  return answer as { error?: { code: number; message: string } };
}

/** A v0.3 `tasks/cancel` as the gateway's A2A handler receives it: the task id. */
async function v03ToV1CancelId(params: unknown): Promise<string> {
  let received: string | undefined;
  const handler = new LegacyJsonRpcTransportHandler(fakeAgent({ onCancel: (id) => (received = id) }));
  const answer = await handler.handle({ jsonrpc: '2.0', id: 1, method: 'tasks/cancel', params }, new ServerCallContext());
  if (received === undefined) throw new Error(`the v0.3 handler did not pass the cancel on: ${JSON.stringify(answer)}`);
  return received;
}

interface FakeAgentOptions {
  readonly stream?: readonly StreamResponse[];
  readonly onSend?: (request: SendMessageRequest) => void;
  readonly onCancel?: (taskId: string) => void;
}

/** The agent behind the SDK's v0.3 handler: records what it is given, answers from the fixture. */
function fakeAgent(options: FakeAgentOptions): A2ARequestHandler {
  const agent: Partial<A2ARequestHandler> = {
    getAgentCard: () => Promise.resolve({ capabilities: { streaming: true } } as Awaited<ReturnType<A2ARequestHandler['getAgentCard']>>),
    sendMessage: (request) => {
      options.onSend?.(request);
      return Promise.resolve(request.message ?? userMessage([]));
    },
    sendMessageStream: async function* () {
      yield* options.stream ?? [];
    },
    cancelTask: (request) => {
      options.onCancel?.(request.id);
      return Promise.resolve({ id: request.id, contextId: 'ctx', status: { state: TaskState.TASK_STATE_CANCELED, message: undefined, timestamp: undefined }, artifacts: [], history: [], metadata: undefined });
    },
  };
  return agent as A2ARequestHandler;
}

const SEND_CONFIGURATION = { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately: false };

/** The SDK's v0.3 JSON-RPC client against a fake upstream endpoint; `answer` gives the response to each request. */
function legacyClient(answer: (rpc: { id: unknown; method: string; params: unknown }) => Response): { transport: LegacyJsonRpcTransport; sent: Array<{ method: string; params: unknown }> } {
  const sent: Array<{ method: string; params: unknown }> = [];
  const fetchImpl = (_url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const rpc = JSON.parse(String(init?.body)) as { id: unknown; method: string; params: unknown };
    sent.push(rpc);
    return Promise.resolve(answer(rpc));
  };
  return { transport: new LegacyJsonRpcTransport({ endpoint: 'http://upstream.invalid/a2a', fetchImpl: fetchImpl as typeof fetch }), sent };
}

const jsonResponse = (value: unknown): Response => new Response(JSON.stringify(value), { headers: { 'content-type': 'application/json' } });

/** Our upstream message as a v0.3 upstream receives it: `params.message` of the SDK client's `message/send`. */
async function v1MessageAsV03(message: Message): Promise<unknown> {
  const { transport, sent } = legacyClient((rpc) => jsonResponse({ jsonrpc: '2.0', id: rpc.id, result: { kind: 'message', messageId: 'ok', role: 'agent', parts: [{ kind: 'text', text: '' }] } }));
  await transport.sendMessage({ tenant: '', message, configuration: SEND_CONFIGURATION, metadata: undefined });
  if (sent[0]?.method !== 'message/send') throw new Error(`the v0.3 client sent ${JSON.stringify(sent)}`);
  return wire((sent[0].params as Obj)['message']);
}

/** A v0.3 upstream's `message/send` result as the gateway's client reads it (v1.0). */
async function v03AnswerToV1(result: unknown): Promise<Message | Task> {
  const { transport } = legacyClient((rpc) => jsonResponse({ jsonrpc: '2.0', id: rpc.id, result }));
  return (await transport.sendMessage({ tenant: '', message: userMessage([]), configuration: SEND_CONFIGURATION, metadata: undefined })) as Message | Task;
}

/** A v0.3 upstream's `message/stream` SSE results as the gateway's client reads them (v1.0). */
async function v03StreamToV1(results: readonly unknown[]): Promise<StreamResponse[]> {
  const { transport } = legacyClient(
    (rpc) => new Response(results.map((result) => `data: ${JSON.stringify({ jsonrpc: '2.0', id: rpc.id, result })}\n\n`).join(''), { headers: { 'content-type': 'text/event-stream' } }),
  );
  const out: StreamResponse[] = [];
  for await (const event of transport.sendMessageStream({ tenant: '', message: userMessage([]), configuration: SEND_CONFIGURATION, metadata: undefined })) out.push(event);
  return out;
}

// ------------------------------------------------------------------------------------------------
// References

/** Behaviour and gap cases: the test or document they name must still say it (whitespace-insensitive). */
function expectFileContains(file: string, text: string): void {
  const squash = (s: string): string => s.replace(/\s+/g, ' ');
  const content = squash(readFileSync(join(REPO_ROOT, file), 'utf8'));
  // A test title with an apostrophe may be written in a single-quoted string (`caller\'s`).
  const isThere = content.includes(squash(text)) || content.includes(squash(text.replaceAll("'", "\\'")));
  expect(isThere, `${file} no longer contains ${JSON.stringify(text)}`).toBe(true);
}
