// The toq face of a hosted A2A upstream agent (DESIGN §3, §5.3): `[agents.<name>] a2a = "<url>"`
// makes `toq://host/<name>` a toq agent whose messages go to that A2A agent, the gateway being
// its A2A client. A toq message is acked once the request is committed (pending-request table),
// not when the upstream answers; the answer goes back through the outbox, FROM <name>, on the same
// thread, reply_to the request. Requests still pending at a stop resume at the next start. A
// request from another toq-gateway that carries the caller's whole A2A message (`a2a.message`,
// the lossless profile of DESIGN §5.1) goes upstream as that message, and every upstream event
// goes back whole (`a2a.event`). It does not speak HTTP itself (a2a/a2a-client.ts) nor build toq
// bodies (translate/).

import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { StreamResponse, TaskState, type Message, type SendMessageRequest, type Task } from '@a2a-js/sdk';
import { connectA2aClient, type A2aClientHandle } from '../a2a/a2a-client.js';
import type { HostLookup, OutboundUrlPolicy } from '../a2a/outbound-url-policy.js';
import type { A2aUpstreamConfig } from '../config/config-schema.js';
import type { OutgoingMessage } from '../delivery/outbox.js';
import { parseEnvelope, serializeEnvelope, type Envelope } from '../protocol/envelope.js';
import { GatewayError } from '../protocol/errors.js';
import { isJsonObject, type JsonObject } from '../protocol/json-value.js';
import type { MessageType } from '../protocol/message-types.js';
import type { SendFields, ToqSession } from '../transport/toq-session.js';
import { A2aUpstreamStore, type PendingRequestRow } from './a2a-upstream-store.js';
import { isInterruptedTaskState, isTerminalTaskState } from './translate/task-state.js';
import { fromBridgeRequestBody, toBridgeEventBody, toBridgeFailureEvent } from './translate/a2a-bridge.js';
import { toA2aUpstreamBridgedMessage, toA2aUpstreamMessage } from './translate/upstream-request.js';
import {
  toToqErrorBody,
  toToqReplyBody,
  toToqStateText,
  toToqStreamChunkBody,
  toToqStreamEndBody,
  toToqText,
  toUpstreamOutcomeFromMessage,
  toUpstreamOutcomeFromTask,
  type UpstreamOutcome,
} from './translate/upstream-reply.js';

/** GetTask polling interval when the upstream offers no streaming. */
export const UPSTREAM_POLL_INTERVAL_MS = 1_000;
/** A turn the upstream has not finished after this long is answered with an error. */
export const UPSTREAM_TURN_TIMEOUT_MS = 60 * 60_000;
/** How long close() waits for turns under way to notice the stop. */
export const UPSTREAM_STOP_DRAIN_MS = 5_000;
/** How long a busy SQLite file is waited for. */
const DB_BUSY_TIMEOUT_MS = 5_000;

/** Receives the deliverable envelopes of one hosted agent (daemon/hosted-agents.ts's receiver shape). */
export type UpstreamReceiver = (envelope: Envelope, session: ToqSession) => Promise<void>;

/** The outbox as the bridge uses it. */
export interface UpstreamReplyOutbox {
  enqueue(message: OutgoingMessage): unknown;
  get(id: string): unknown;
}

export interface A2aUpstreamBridgeOptions {
  /** The hosted agent's name (its toq address is toq://host/<agent>). */
  readonly agent: string;
  /** The upstream's base URL (its card is at `<url>/.well-known/agent-card.json`). */
  readonly url: string;
  /** `Authorization` header value sent upstream. */
  readonly authorization?: string;
  /** The operator configured this URL, so private and loopback targets are fine. @default { allowPrivate: true } */
  readonly policy?: OutboundUrlPolicy;
  /** @default 1000 */
  readonly pollIntervalMs?: number;
  /** @default 3600000 */
  readonly turnTimeoutMs?: number;
}

export interface A2aUpstreamBridgeDeps {
  readonly store: A2aUpstreamStore;
  readonly outbox: UpstreamReplyOutbox;
  /** Sends an unacked envelope from `agent` (the system.error before an explanation); best effort. */
  readonly control?: (agent: string, to: string, fields: SendFields) => Promise<unknown>;
  readonly log: Logger;
  readonly now?: () => number;
  readonly lookup?: HostLookup;
  readonly fetchImpl?: typeof fetch;
}

/** One request being answered. */
interface Turn {
  readonly envelopeId: string;
  readonly threadId: string;
  readonly controller: AbortController;
  taskId: string;
  /** thread.close or message.cancel: end quietly, no reply. */
  isCanceled: boolean;
  /** Lossless profile (DESIGN §5.1): the caller's whole message, from a near gateway. */
  bridged?: Message;
}

/** What the upstream said so far in one turn. */
interface TurnProgress {
  contextId: string;
  taskId: string;
  state: TaskState;
  streamId: string;
  streamText: string;
  chunkCount: number;
  artifactParts: UpstreamOutcome['parts'][number][];
  /** The last task snapshot of the answer to our SendMessage (see apply). */
  lastTask?: Task;
  outcome?: UpstreamOutcome;
  /** Lossless profile (DESIGN §5.1): upstream events go back whole; how many went so far. */
  bridge?: { readonly tagPrefix: string; sent: number; lastSent: string; lastCase?: string };
}

export class A2aUpstreamBridge {
  private readonly agent: string;
  private readonly url: string;
  private readonly options: A2aUpstreamBridgeOptions;
  private readonly deps: A2aUpstreamBridgeDeps;
  private readonly log: Logger;
  private readonly now: () => number;
  private handle: Promise<A2aClientHandle> | undefined;
  /** The tail of each thread's queue: a thread's requests go upstream one after the other. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly turns = new Map<string, Turn>();
  /** Requests dropped (thread closed, canceled) while waiting in a chain. */
  private readonly dropped = new Set<string>();
  private readonly shutdown = new AbortController();
  private readonly underway = new Set<Promise<void>>();

  constructor(options: A2aUpstreamBridgeOptions, deps: A2aUpstreamBridgeDeps) {
    this.agent = options.agent;
    this.url = options.url;
    this.options = options;
    this.deps = deps;
    this.log = deps.log.child({ component: 'a2a-upstream', agent: options.agent });
    this.now = deps.now ?? Date.now;
  }

  /** The hosted-agent receiver: commits, then returns (the session acks). */
  readonly receive: UpstreamReceiver = async (envelope, session) => {
    switch (envelope.type) {
      case 'message.send': {
        const row = {
          agent: this.agent,
          envelopeId: envelope.id,
          threadId: envelope.thread_id ?? '',
          sender: envelope.from,
          peerKey: session.peer.publicKeyText,
          envelope: serializeEnvelope(envelope).toString('utf8'),
          receivedAtMs: this.now(),
        };
        // A redelivery of a committed request is acked again and not asked twice.
        if (this.deps.store.addRequest(row)) this.schedule({ ...row, taskId: '' });
        return;
      }
      case 'thread.close':
        if (envelope.thread_id !== undefined) this.closeThread(envelope.thread_id);
        return;
      case 'message.cancel': {
        const cancelId = isJsonObject(envelope.body) ? envelope.body['cancel_id'] : undefined;
        if (typeof cancelId === 'string') this.cancelRequest(cancelId);
        return;
      }
      default:
        // Streams from a peer have no A2A counterpart toward an upstream (DESIGN §5.3 lists none).
        this.log.debug({ id: envelope.id, type: envelope.type }, 'envelope type not forwarded upstream');
    }
  };

  /** Resumes the requests a stop left unanswered. */
  start(): void {
    const pending = this.deps.store.pendingRequests(this.agent);
    if (pending.length > 0) this.log.info({ count: pending.length }, 'resuming unanswered requests');
    for (const row of pending) this.schedule(row);
  }

  /** Stops asking; unanswered requests stay recorded for the next start. Waits at most UPSTREAM_STOP_DRAIN_MS. */
  async close(): Promise<void> {
    this.shutdown.abort(new GatewayError('stopping', 'the gateway is stopping'));
    const drain = new AbortController();
    await Promise.race([Promise.allSettled([...this.underway]), sleep(UPSTREAM_STOP_DRAIN_MS, undefined, { signal: drain.signal, ref: false }).catch(() => undefined)]);
    drain.abort();
  }

  private schedule(row: PendingRequestRow): void {
    const key = row.threadId === '' ? `id:${row.envelopeId}` : row.threadId;
    const previous = this.chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.process(row));
    this.chains.set(key, next);
    this.underway.add(next);
    void next.finally(() => {
      this.underway.delete(next);
      if (this.chains.get(key) === next) this.chains.delete(key);
    });
  }

  private async process(row: PendingRequestRow): Promise<void> {
    if (this.shutdown.signal.aborted) return;
    if (this.dropped.delete(row.envelopeId)) return;
    const turn: Turn = { envelopeId: row.envelopeId, threadId: row.threadId, controller: new AbortController(), taskId: row.taskId, isCanceled: false };
    // Parsed once per turn (it was checked when it arrived; the row keeps its wire text).
    let envelope: Envelope;
    try {
      envelope = parseEnvelope(row.envelope);
      const bridged = fromBridgeRequestBody(envelope.body);
      if (bridged !== undefined) turn.bridged = bridged;
    } catch (err) {
      this.log.info({ err, id: row.envelopeId }, 'malformed lossless request; telling the sender');
      this.reply(row, 'reply', 'message.send', toToqErrorBody(this.agent, `the request's a2a.message is malformed: ${(err as Error).message}`));
      this.deps.store.finishRequest(this.agent, row.envelopeId);
      return;
    }
    this.turns.set(row.envelopeId, turn);
    const signal = AbortSignal.any([this.shutdown.signal, turn.controller.signal, AbortSignal.timeout(this.options.turnTimeoutMs ?? UPSTREAM_TURN_TIMEOUT_MS)]);
    try {
      const progress = await this.runTurn(row, envelope, turn, signal);
      if (turn.isCanceled || this.shutdown.signal.aborted) return;
      this.finishTurn(row, progress);
    } catch (err) {
      // Stopping: the request stays pending and resumes at the next start.
      if (this.shutdown.signal.aborted) return;
      if (turn.isCanceled) return;
      this.log.warn({ err, id: row.envelopeId, url: this.url }, 'A2A upstream failed; telling the sender');
      const reason = describeError(err, signal);
      // DESIGN §5.3: a system.error naming the request, then a message.send that explains it.
      this.deps.control?.(this.agent, row.sender, { type: 'system.error', body: { code: 'agent_unavailable', message: `A2A agent "${this.agent}" could not answer`, related_id: row.envelopeId } }).catch((e: unknown) =>
        this.log.debug({ err: e, id: row.envelopeId }, 'system.error not sent'),
      );
      const body = toToqErrorBody(this.agent, reason);
      if (turn.bridged !== undefined) {
        // The near gateway reads events: the failure is its task's failed status.
        const text = typeof body['text'] === 'string' ? body['text'] : reason;
        this.reply(row, 'reply', 'message.send', toBridgeEventBody(toBridgeFailureEvent(text, { messageId: replyId(row.envelopeId, 'failure'), timestamp: new Date(this.now()).toISOString() })));
      } else {
        this.reply(row, 'reply', 'message.send', body);
      }
      this.deps.store.finishRequest(this.agent, row.envelopeId);
    } finally {
      this.turns.delete(row.envelopeId);
    }
  }

  private async runTurn(row: PendingRequestRow, envelope: Envelope, turn: Turn, signal: AbortSignal): Promise<TurnProgress> {
    const handle = await this.client();
    const thread = row.threadId === '' ? undefined : this.deps.store.threadOf(this.agent, row.threadId);
    const progress: TurnProgress = {
      contextId: thread?.contextId ?? '',
      taskId: '',
      state: TaskState.TASK_STATE_UNSPECIFIED,
      streamId: replyId(row.envelopeId, 'stream'),
      streamText: '',
      chunkCount: 0,
      artifactParts: [],
      // A resumed turn's events get new ids: the ones sent before the stop may be in the outbox already.
      ...(turn.bridged !== undefined && { bridge: { tagPrefix: turn.taskId === '' ? 'event' : `resume-${this.now()}`, sent: 0, lastSent: '' } }),
    };
    let events: AsyncIterable<StreamResponse>;
    if (turn.taskId !== '') {
      // Resumed after a restart: the upstream has the task already; follow it, do not ask again.
      progress.taskId = turn.taskId;
      events = this.follow(handle, turn.taskId, signal);
    } else {
      const isPaused = thread !== undefined && thread.taskId !== '' && isInterruptedTaskState(thread.taskState);
      const ids = { ...(thread !== undefined && { contextId: thread.contextId }), ...(isPaused && { taskId: thread.taskId }) };
      const provenance = {
        from: envelope.from,
        publicKey: row.peerKey,
        envelopeId: envelope.id,
        ...(envelope.thread_id !== undefined && { threadId: envelope.thread_id }),
        envelope: JSON.parse(row.envelope) as unknown,
      };
      // The lossless profile keeps the caller's messageId (DESIGN §5.1); else the envelope id is it.
      const message = turn.bridged !== undefined ? toA2aUpstreamBridgedMessage(turn.bridged, ids, provenance) : toA2aUpstreamMessage(envelope.body, { messageId: envelope.id, ...ids }, provenance);
      const request: SendMessageRequest = {
        tenant: '',
        message,
        configuration: { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately: false },
        metadata: undefined,
      };
      // The SDK falls back to a blocking SendMessage when the card offers no streaming.
      events = handle.client.sendMessageStream(request, { signal });
    }
    const isFollowing = turn.taskId !== '';
    for await (const event of events) if (this.apply(row, turn, progress, event, isFollowing)) break;
    // A paused snapshot that ended the answer (a blocking result) is the answer.
    if (progress.outcome === undefined && progress.lastTask !== undefined && isInterruptedTaskState(progress.lastTask.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED)) {
      progress.outcome = toUpstreamOutcomeFromTask(progress.lastTask);
    }
    if (progress.outcome === undefined && progress.taskId !== '') {
      // The answer stopped at a working task: follow it until it ends or pauses (DESIGN §5.3).
      for await (const event of this.follow(handle, progress.taskId, signal)) if (this.apply(row, turn, progress, event, true)) break;
    }
    if (progress.outcome === undefined) throw new GatewayError('a2a_upstream_error', 'the upstream ended its answer without a result');
    return progress;
  }

  /** Task events until the caller has what it needs: SubscribeToTask when offered, else GetTask polling. */
  private async *follow(handle: A2aClientHandle, taskId: string, signal: AbortSignal): AsyncGenerator<StreamResponse> {
    if (handle.isStreaming) {
      try {
        yield* handle.client.resubscribeTask({ tenant: '', id: taskId }, { signal });
      } catch (err) {
        if (signal.aborted) throw err;
        // A terminal task cannot be subscribed to; its snapshot is one GetTask away.
        this.log.debug({ err, taskId }, 'SubscribeToTask failed; polling GetTask');
      }
    }
    for (;;) {
      const task = await handle.client.getTask({ tenant: '', id: taskId }, { signal });
      yield { payload: { $case: 'task', value: task } };
      await sleep(this.options.pollIntervalMs ?? UPSTREAM_POLL_INTERVAL_MS, undefined, { signal });
    }
  }

  /**
   * Applies one upstream event; true when the turn has its outcome. A paused task snapshot inside
   * the answer to our SendMessage is not one: SDK agents republish the paused task first when a
   * follow-up arrives (a2a-notes §12.2), so only a status update (or the end of the answer) says
   * the task paused again. While following a task (`isFollowing`) snapshots are current state.
   */
  private apply(row: PendingRequestRow, turn: Turn, progress: TurnProgress, event: StreamResponse, isFollowing: boolean): boolean {
    const payload = event.payload;
    if (payload === undefined) return false;
    if (progress.bridge !== undefined) this.forward(row, progress.bridge, event);
    switch (payload.$case) {
      case 'message':
        this.noteTask(row, turn, progress, payload.value.contextId, payload.value.taskId, TaskState.TASK_STATE_COMPLETED);
        progress.outcome = toUpstreamOutcomeFromMessage(payload.value);
        return true;
      case 'task': {
        const task = payload.value;
        const state = task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED;
        this.noteTask(row, turn, progress, task.contextId, task.id, state);
        progress.lastTask = task;
        if (!isTerminalTaskState(state) && !(isFollowing && isInterruptedTaskState(state))) return false;
        progress.outcome = toUpstreamOutcomeFromTask(task);
        return true;
      }
      case 'artifactUpdate': {
        const update = payload.value;
        this.noteTask(row, turn, progress, update.contextId, update.taskId, progress.state);
        const parts = update.artifact?.parts ?? [];
        progress.artifactParts.push(...parts);
        // A whole artifact in one event is output, not a stream; only real chunks are streamed.
        // The lossless profile sent the event itself already.
        if ((!update.append && update.lastChunk) || progress.bridge !== undefined) return false;
        const text = toToqText(parts);
        progress.streamText += text;
        this.reply(row, `chunk-${progress.chunkCount}`, 'message.stream.chunk', toToqStreamChunkBody(progress.streamId, text));
        progress.chunkCount += 1;
        return false;
      }
      case 'statusUpdate': {
        const update = payload.value;
        const state = update.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED;
        this.noteTask(row, turn, progress, update.contextId, update.taskId, state);
        if (!isTerminalTaskState(state) && !isInterruptedTaskState(state)) return false;
        const statusParts = update.status?.message?.parts ?? [];
        const isCompleted = state === TaskState.TASK_STATE_COMPLETED;
        progress.outcome = { state, parts: isCompleted && progress.artifactParts.length > 0 ? progress.artifactParts : statusParts };
        return true;
      }
    }
  }

  /** Remembers the upstream context and task (durably: a restart continues from them). */
  private noteTask(row: PendingRequestRow, turn: Turn, progress: TurnProgress, contextId: string, taskId: string, state: TaskState): void {
    const isNewTask = taskId !== '' && taskId !== progress.taskId;
    const isNewContext = contextId !== '' && contextId !== progress.contextId;
    if (isNewTask) {
      progress.taskId = taskId;
      turn.taskId = taskId;
      this.deps.store.setRequestTask(this.agent, row.envelopeId, taskId);
      // A message.cancel that came before the upstream named its task.
      if (turn.isCanceled && this.turns.get(row.envelopeId) === turn) this.abortCanceled(turn);
    }
    if (isNewContext) progress.contextId = contextId;
    if ((isNewTask || isNewContext || state !== progress.state) && row.threadId !== '' && progress.contextId !== '' && !turn.isCanceled) {
      this.deps.store.saveThread({ agent: this.agent, threadId: row.threadId, contextId: progress.contextId, taskId: progress.taskId, taskState: state }, this.now());
    }
    progress.state = state;
  }

  /** Lossless profile: one upstream event back to the near gateway (a repeated polling snapshot is sent once). */
  private forward(row: PendingRequestRow, bridge: NonNullable<TurnProgress['bridge']>, event: StreamResponse): void {
    const body = toBridgeEventBody(event);
    // The body is the event's ProtoJSON (plus its text): equal bodies, equal events.
    const json = JSON.stringify(body);
    if (json === bridge.lastSent) return;
    bridge.lastSent = json;
    bridge.lastCase = event.payload?.$case;
    this.reply(row, `${bridge.tagPrefix}-${bridge.sent}`, 'message.send', body);
    bridge.sent += 1;
  }

  private finishTurn(row: PendingRequestRow, progress: TurnProgress): void {
    const outcome = progress.outcome!;
    if (progress.bridge !== undefined) {
      // Every event went back as it came. A paused task snapshot does not end a turn at the near
      // side (agents republish it when a follow-up arrives): say that it did end, as a status update.
      const last = progress.lastTask;
      if (progress.bridge.lastCase === 'task' && last !== undefined && isInterruptedTaskState(last.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED)) {
        this.forward(row, progress.bridge, { payload: { $case: 'statusUpdate', value: { taskId: last.id, contextId: last.contextId, status: last.status, metadata: undefined } } });
      }
      this.deps.store.finishRequest(this.agent, row.envelopeId);
      this.log.debug({ id: row.envelopeId, state: toToqStateText(outcome.state), events: progress.bridge.sent }, 'upstream answered (lossless)');
      return;
    }
    const fallback = `upstream task ${toToqStateText(outcome.state)}`;
    if (progress.chunkCount > 0) {
      this.reply(row, 'end', 'message.stream.end', toToqStreamEndBody(progress.streamId, progress.streamText));
      if (outcome.state !== TaskState.TASK_STATE_COMPLETED) this.reply(row, 'reply', 'message.send', toToqReplyBody(outcome, fallback));
    } else {
      this.reply(row, 'reply', 'message.send', toToqReplyBody(outcome, outcome.state === TaskState.TASK_STATE_COMPLETED ? undefined : fallback));
    }
    this.deps.store.finishRequest(this.agent, row.envelopeId);
    this.log.debug({ id: row.envelopeId, state: toToqStateText(outcome.state), chunks: progress.chunkCount }, 'upstream answered');
  }

  /** Queues one envelope back to the sender; ids derive from the request, so a resumed turn never sends twice. */
  private reply(row: PendingRequestRow, tag: string, type: MessageType, body: JsonObject): void {
    const id = replyId(row.envelopeId, tag);
    if (this.deps.outbox.get(id) !== undefined) return;
    try {
      this.deps.outbox.enqueue({
        id,
        agent: this.agent,
        to: row.sender,
        type,
        body,
        ...(row.threadId !== '' && { thread_id: row.threadId }),
        reply_to: row.envelopeId,
        content_type: 'application/json',
      });
    } catch (err) {
      this.log.error({ err, id: row.envelopeId, to: row.sender }, 'could not queue the reply');
    }
  }

  /** thread.close: cancels the thread's open upstream tasks and retires its context (DESIGN §5.3). */
  private closeThread(threadId: string): void {
    const { thread, requests } = this.deps.store.retireThread(this.agent, threadId);
    const taskIds = new Set<string>();
    if (thread !== undefined && thread.taskId !== '' && !isTerminalTaskState(thread.taskState)) taskIds.add(thread.taskId);
    for (const request of requests) {
      if (request.taskId !== '') taskIds.add(request.taskId);
      if (!this.turns.has(request.envelopeId)) this.dropped.add(request.envelopeId);
    }
    const turns = [...this.turns.values()].filter((t) => t.threadId === threadId);
    for (const turn of turns) {
      turn.isCanceled = true;
      if (turn.taskId !== '') taskIds.add(turn.taskId);
    }
    this.log.debug({ threadId, tasks: taskIds.size }, 'thread closed; canceling its upstream tasks');
    void this.cancelUpstream([...taskIds]).finally(() => {
      for (const turn of turns) turn.controller.abort(new GatewayError('canceled', 'thread closed'));
    });
  }

  /** message.cancel of one request. */
  private cancelRequest(envelopeId: string): void {
    const turn = this.turns.get(envelopeId);
    this.deps.store.finishRequest(this.agent, envelopeId);
    if (turn === undefined) {
      this.dropped.add(envelopeId);
      return;
    }
    turn.isCanceled = true;
    // The upstream has not named its task yet: noteTask cancels it as soon as it does.
    if (turn.taskId === '') return;
    this.abortCanceled(turn);
  }

  private abortCanceled(turn: Turn): void {
    void this.cancelUpstream([turn.taskId]).finally(() => turn.controller.abort(new GatewayError('canceled', 'message canceled')));
  }

  private async cancelUpstream(taskIds: readonly string[]): Promise<void> {
    if (taskIds.length === 0) return;
    let handle: A2aClientHandle;
    try {
      handle = await this.client();
    } catch (err) {
      this.log.warn({ err, url: this.url }, 'cannot reach the upstream to cancel its tasks');
      return;
    }
    await Promise.all(
      taskIds.map((id) =>
        handle.client.cancelTask({ tenant: '', id, metadata: undefined }, { signal: AbortSignal.any([this.shutdown.signal, AbortSignal.timeout(30_000)]) }).then(
          () => this.log.debug({ taskId: id }, 'upstream task canceled'),
          (err: unknown) => this.log.info({ err, taskId: id }, 'upstream refused to cancel a task'),
        ),
      ),
    );
  }

  /** The client, from the card (fetched again after a failure, so a late upstream is found). */
  private client(): Promise<A2aClientHandle> {
    this.handle ??= connectA2aClient(this.url, {
      policy: this.options.policy ?? { allowPrivate: true },
      ...(this.options.authorization !== undefined && { authorization: this.options.authorization }),
      ...(this.deps.lookup !== undefined && { lookup: this.deps.lookup }),
      ...(this.deps.fetchImpl !== undefined && { fetchImpl: this.deps.fetchImpl }),
    }).catch((err: unknown) => {
      this.handle = undefined;
      throw err;
    });
    return this.handle;
  }
}

/** A UUID-shaped (version 8) id derived from the request id and a tag. */
export function replyId(requestId: string, tag: string): string {
  const digest = createHash('sha256').update(JSON.stringify(['toq-a2a-upstream-reply', requestId, tag]), 'utf8').digest();
  digest[6] = (digest[6]! & 0x0f) | 0x80;
  digest[8] = (digest[8]! & 0x3f) | 0x80;
  const hex = digest.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function describeError(err: unknown, signal: AbortSignal): string {
  if (signal.aborted && signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError') return 'the upstream did not finish in time';
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${(err.cause as NodeJS.ErrnoException).code ?? err.cause.message}` : '';
  return `${err.message}${cause}`;
}

export interface A2aUpstreamAgentsOptions {
  /** The workspace's SQLite file (`<configDir>/gateway.db`). */
  readonly dbPath: string;
  readonly agents: readonly A2aUpstreamConfig[];
  /** Where `auth_env` names are read. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly pollIntervalMs?: number;
  readonly turnTimeoutMs?: number;
}

export interface A2aUpstreamAgentsDeps {
  /** daemon.hosted.register */
  register(name: string, receiver: UpstreamReceiver): void;
  readonly outbox: UpstreamReplyOutbox;
  readonly control?: A2aUpstreamBridgeDeps['control'];
  readonly log: Logger;
  readonly now?: () => number;
  readonly lookup?: HostLookup;
  readonly fetchImpl?: typeof fetch;
}

export interface A2aUpstreamAgents {
  readonly bridges: ReadonlyMap<string, A2aUpstreamBridge>;
  /** The store, shared with the local API's outbound A2A sends (thread ↔ context). */
  readonly store: A2aUpstreamStore;
  close(): Promise<void>;
}

/** One bridge per `[agents.<name>] a2a = ...` table, registered and resumed. */
export function startA2aUpstreamAgents(options: A2aUpstreamAgentsOptions, deps: A2aUpstreamAgentsDeps): A2aUpstreamAgents {
  const db = new Database(options.dbPath);
  db.pragma(`busy_timeout = ${DB_BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  const store = new A2aUpstreamStore(db);
  const bridges = new Map<string, A2aUpstreamBridge>();
  for (const agent of options.agents) {
    let authorization = agent.auth;
    if (authorization === undefined && agent.authEnv !== undefined) {
      authorization = options.env[agent.authEnv];
      if (authorization === undefined) deps.log.warn({ agent: agent.name, key: 'auth_env', variable: agent.authEnv }, 'auth_env names an unset variable; calling the upstream without Authorization');
    }
    const bridge = new A2aUpstreamBridge(
      {
        agent: agent.name,
        url: agent.a2a,
        ...(authorization !== undefined && { authorization }),
        ...(options.pollIntervalMs !== undefined && { pollIntervalMs: options.pollIntervalMs }),
        ...(options.turnTimeoutMs !== undefined && { turnTimeoutMs: options.turnTimeoutMs }),
      },
      { store, outbox: deps.outbox, log: deps.log, ...(deps.control !== undefined && { control: deps.control }), ...(deps.now !== undefined && { now: deps.now }), ...(deps.lookup !== undefined && { lookup: deps.lookup }), ...(deps.fetchImpl !== undefined && { fetchImpl: deps.fetchImpl }) },
    );
    deps.register(agent.name, bridge.receive);
    bridge.start();
    bridges.set(agent.name, bridge);
  }
  return {
    bridges,
    store,
    close: async () => {
      await Promise.all([...bridges.values()].map((b) => b.close()));
      db.close();
    },
  };
}
