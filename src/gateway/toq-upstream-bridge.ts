// The A2A side of one toq-upstream agent (DESIGN §3 "toq upstream", §4, §5.2): `[agents.bob]
// toq = "toq://example.org/bob"` makes A2A calls to /a2a/bob into toq messages from our hosted
// identity `bob` to the remote agent, and its answers into task updates. SendMessage → a durable
// `message.send` (outbox) on the context's thread; replies, stream pieces and thread.close that
// come back for `bob` → status, artifacts and states; a failed delivery → FAILED; CancelTask →
// CANCELED at once and `message.cancel`. Every update is written to the task store first and then
// published on the task's live bus, if any, so late replies (also after a restart) still land.
// When the remote agent is another toq-gateway's A2A agent (its card says `a2a-bridge/1`), the
// lossless profile of DESIGN §5.1 is used instead: the whole A2A message goes out and the far
// side's own A2A events come back, rewritten into our task's ids; a direct `Message` answer stays
// a `Message` (the task is held back until the first answer or BRIDGE_FIRST_EVENT_GRACE_MS).
// It never touches sockets or the outbox itself: the daemon gives it a port.

import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { StreamResponse, TaskState, type Task } from '@a2a-js/sdk';
import { AgentEvent, resolveUserScope, type AgentExecutionEvent, type AgentExecutor, type ExecutionEventBus, type PushNotificationSender, type RequestContext, type ServerCallContext, type TaskStore } from '@a2a-js/sdk/server';
import { ownerCallContext } from '../a2a/call-context.js';
import type { Envelope } from '../protocol/envelope.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../protocol/json-value.js';
import type { OutboxEntry } from '../store/outbox-record.js';
import { toToqMessageBody } from './translate/a2a-message.js';
import { fromBridgeEventBody, toBridgeRequestBody, toNearEvent } from './translate/a2a-bridge.js';
import { toA2aReply, toA2aReplyEvents } from './translate/a2a-reply.js';
import { toToqCancel, type ToqCancelFields } from './translate/cancel-message.js';
import { toA2aFailureText } from './translate/delivery-failure.js';
import { streamArtifactId, toA2aChunkEvent, toA2aStreamPiece } from './translate/stream-chunk.js';
import { isInterruptedTaskState, isTerminalTaskState } from './translate/task-state.js';
import { toToqThreadId } from './translate/thread-id.js';
import { applyTaskEvents, statusEvent } from './task-events.js';
import type { UpstreamTaskRow, UpstreamTaskStore } from './toq-upstream-task-store.js';

/** How long an executor keeps its task's event bus open for a reply; later replies go to the store only. */
export const DEFAULT_UPSTREAM_REPLY_HOLD_MS = 60 * 60_000;
/**
 * Lossless profile: how long the task is held back waiting for the far side's first answer, so a
 * direct `Message` answer can reach the client as a `Message` (DESIGN §5.1). After it the task is
 * published as `working`, as on the plain path.
 */
export const BRIDGE_FIRST_EVENT_GRACE_MS = 1_500;

/** What the bridge needs from the daemon: the durable outbox and a best-effort direct send. */
export interface ToqUpstreamPort {
  /** Commits a `message.send` from hosted agent `agent` (DESIGN §7); returns once it is durable. */
  enqueue(message: { agent: string; to: string; body: JsonObject; thread_id: string; id: string }): void;
  /** Resolves when the entry is final or after `timeoutMs` (then with its current state). */
  waitForOutcome(id: string, timeoutMs: number): Promise<OutboxEntry | undefined>;
  /** The outbox entry as stored now. */
  outboxEntry(id: string): OutboxEntry | undefined;
  /** Stops retrying a queued entry (a canceled task's message). */
  cancelQueued(id: string): void;
  /** Sends an unacked control message from `agent` (message.cancel); failures are the caller's to log. */
  sendControl(agent: string, to: string, fields: ToqCancelFields): Promise<void>;
  /**
   * Whether `target`, reached from `agent`, speaks the lossless profile (its toq card advertises
   * `a2a-bridge/1`). False when it cannot be reached now: the plain profile always works.
   */
  isBridge(agent: string, target: string): Promise<boolean>;
}

export interface ToqUpstreamBridgeOptions {
  /** The hosted agent's name: its toq identity and the A2A tenant. */
  readonly agent: string;
  /** The remote toq agent (`toq = "toq://..."`). */
  readonly target: string;
  /**
   * The state a reply without `a2a.state` gives its task (DESIGN §5.2 "reply_state"):
   * input-required suits conversational agents. @default TASK_STATE_COMPLETED
   */
  readonly replyState?: TaskState;
  /** @default DEFAULT_UPSTREAM_REPLY_HOLD_MS (1 h) */
  readonly replyHoldMs?: number;
  /** How long a delivery is watched for failure: at least the outbox_ttl. */
  readonly deliveryWatchMs: number;
}

export interface ToqUpstreamBridgeDeps {
  readonly port: ToqUpstreamPort;
  readonly taskStore: TaskStore;
  readonly tasks: UpstreamTaskStore;
  /** Webhooks of tasks updated with nobody listening (late replies). */
  readonly push?: PushNotificationSender;
  readonly log: Logger;
  readonly now?: () => number;
}

interface LiveTask {
  readonly bus: ExecutionEventBus;
  settle(): void;
  /** Lossless profile: the task not yet published (nothing has answered yet, DESIGN §5.1). */
  held?: { readonly task: Task; readonly timer: NodeJS.Timeout };
  /** The publication of the held task once the grace ended (answers wait for it). */
  published?: Promise<void>;
}

export class ToqUpstreamBridge {
  readonly executor: AgentExecutor;
  readonly #agent: string;
  readonly #target: string;
  readonly #replyState: TaskState;
  readonly #holdMs: number;
  readonly #watchMs: number;
  readonly #port: ToqUpstreamPort;
  readonly #taskStore: TaskStore;
  readonly #tasks: UpstreamTaskStore;
  readonly #push: PushNotificationSender | undefined;
  readonly #log: Logger;
  readonly #now: () => number;
  /** Executors waiting for a reply, by task id. */
  readonly #live = new Map<string, LiveTask>();
  /** Envelope ids whose delivery is watched now (one watch each). */
  readonly #watched = new Set<string>();
  /** The tail of each thread's receive queue: a thread's answers apply one after the other, in arrival order. */
  readonly #chains = new Map<string, Promise<void>>();
  #isClosed = false;

  constructor(options: ToqUpstreamBridgeOptions, deps: ToqUpstreamBridgeDeps) {
    this.#agent = options.agent;
    this.#target = options.target;
    this.#replyState = options.replyState ?? TaskState.TASK_STATE_COMPLETED;
    this.#holdMs = options.replyHoldMs ?? DEFAULT_UPSTREAM_REPLY_HOLD_MS;
    this.#watchMs = options.deliveryWatchMs;
    this.#port = deps.port;
    this.#taskStore = deps.taskStore;
    this.#tasks = deps.tasks;
    this.#push = deps.push;
    this.#log = deps.log;
    this.#now = deps.now ?? Date.now;
    this.executor = {
      execute: (ctx, bus) => this.#execute(ctx, bus),
      cancelTask: (taskId, bus) => this.#cancel(taskId, bus),
    };
  }

  /**
   * After a restart: tasks still waiting get their delivery watched again, and those whose
   * message failed while we were down fail now.
   */
  recover(): void {
    for (const row of this.#tasks.openTasks(this.#agent)) {
      const entry = this.#port.outboxEntry(row.envelopeId);
      if (entry === undefined) continue;
      if (entry.status === 'failed' || entry.status === 'undeliverable') void this.#failDelivery(entry);
      else if (entry.status === 'queued' || entry.status === 'sending') this.#watch(row.envelopeId);
    }
  }

  /**
   * A toq envelope addressed to our hosted agent (the daemon's receiver; the ack waits for it,
   * so what it applies is durable before the peer hears "received"). Messages on threads we did
   * not open, or whose tasks have all finished, are dropped (and still acked).
   */
  receive(envelope: Envelope, peerAddress: string): Promise<void> {
    const threadId = envelope.thread_id;
    if (threadId === undefined) {
      this.#log.info({ id: envelope.id, type: envelope.type, peer: peerAddress }, 'toq upstream: message without a thread dropped');
      return Promise.resolve();
    }
    // Deliveries of one session start at once; an answer's events must still apply in order.
    const previous = this.#chains.get(threadId) ?? Promise.resolve();
    const next = previous.then(() => this.#receiveInOrder(envelope, threadId));
    const tail = next.catch(() => undefined);
    this.#chains.set(threadId, tail);
    void tail.then(() => {
      if (this.#chains.get(threadId) === tail) this.#chains.delete(threadId);
    });
    return next;
  }

  async #receiveInOrder(envelope: Envelope, threadId: string): Promise<void> {
    switch (envelope.type) {
      case 'message.send':
        return this.#onReply(envelope, threadId);
      case 'message.stream.chunk':
      case 'message.stream.end':
        return this.#onStreamPiece(envelope, threadId, envelope.type === 'message.stream.end');
      case 'thread.close':
        return this.#onThreadClose(envelope, threadId);
      default:
        this.#log.debug({ id: envelope.id, type: envelope.type }, 'toq upstream: envelope type ignored');
    }
  }

  /** Releases every waiting executor (daemon shutdown); their tasks stay as stored. */
  close(): void {
    this.#isClosed = true;
    for (const live of [...this.#live.values()]) {
      if (live.held !== undefined) clearTimeout(live.held.timer);
      live.settle();
    }
    this.#live.clear();
  }

  async #execute(ctx: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const context = ctx.context;
    const owner = resolveUserScope(context);
    const nowMs = this.#now();
    const generation = this.#tasks.generationOf(this.#agent, owner, ctx.contextId);
    const threadId = toToqThreadId({ agent: this.#agent, principal: owner, contextId: ctx.contextId, generation });
    const envelopeId = randomUUID();
    const task: Task = ctx.task ?? {
      id: ctx.taskId,
      contextId: ctx.contextId,
      status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: this.#iso() },
      artifacts: [],
      history: [ctx.userMessage],
      metadata: undefined,
    };
    this.#tasks.openTurn({ agent: this.#agent, owner, taskId: ctx.taskId, contextId: ctx.contextId, threadId, envelopeId }, nowMs);

    let settle: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const live: LiveTask = { bus, settle };
    // Registered before the message leaves, so even an instant reply finds the live bus.
    this.#live.set(ctx.taskId, live);
    const timer = setTimeout(settle, this.#holdMs);
    timer.unref();
    try {
      const ids = { taskId: ctx.taskId, contextId: ctx.contextId };
      const isBridge = await this.#port.isBridge(this.#agent, this.#target);
      const start = [AgentEvent.task(task), this.#status(ctx.taskId, ctx.contextId, TaskState.TASK_STATE_WORKING)];
      if (isBridge && ctx.task === undefined) {
        // DESIGN §5.1: nothing is published until the far side answers (or the grace ends).
        const held = setTimeout(() => {
          if (live.held === undefined) return;
          live.held = undefined;
          live.published = this.#apply(context, start, bus).catch((err: unknown) => this.#log.warn({ err, taskId: ctx.taskId }, 'toq upstream: held task not published'));
        }, BRIDGE_FIRST_EVENT_GRACE_MS);
        held.unref();
        live.held = { task, timer: held };
      } else {
        await this.#apply(context, start, bus);
      }
      // DESIGN §4: the hosted agent's identity is the sender; the body keeps the A2A ids.
      const body = isBridge ? toBridgeRequestBody(ctx.userMessage, ids) : toToqMessageBody(ctx.userMessage, ids);
      this.#port.enqueue({ agent: this.#agent, to: this.#target, body, thread_id: threadId, id: envelopeId });
      this.#watch(envelopeId);
      this.#log.debug({ taskId: ctx.taskId, threadId, id: envelopeId, to: this.#target }, 'toq upstream: A2A message queued');
      // Returning closes the bus (unless the task is interrupted): wait for the reply, within the hold.
      if (!this.#isClosed) await settled;
    } finally {
      clearTimeout(timer);
      if (live.held !== undefined) clearTimeout(live.held.timer);
      if (this.#live.get(ctx.taskId) === live) this.#live.delete(ctx.taskId);
    }
  }

  async #cancel(taskId: string, bus: ExecutionEventBus): Promise<void> {
    const row = this.#tasks.findTask(this.#agent, taskId);
    // Canceled at once (DESIGN §5.2); the SDK persists what we publish here.
    bus.publish(this.#status(taskId, row?.contextId ?? '', TaskState.TASK_STATE_CANCELED, 'Task canceled by the client.'));
    this.#live.get(taskId)?.settle();
    if (row === undefined || !row.isOpen) return;
    this.#tasks.closeTurn(row, this.#now());
    this.#port.cancelQueued(row.envelopeId);
    this.#port.sendControl(this.#agent, this.#target, toToqCancel(row.envelopeId, row.threadId)).then(
      () => this.#log.debug({ taskId, cancelId: row.envelopeId }, 'toq upstream: message.cancel sent'),
      (err: unknown) => this.#log.info({ err, taskId, cancelId: row.envelopeId }, 'toq upstream: message.cancel not sent'),
    );
  }

  async #onReply(envelope: Envelope, threadId: string): Promise<void> {
    const row = await this.#pickTask(threadId, envelope.reply_to);
    if (row === undefined) {
      this.#log.info({ id: envelope.id, threadId }, 'toq upstream: reply with no waiting task dropped');
      return;
    }
    let bridged;
    try {
      bridged = fromBridgeEventBody(envelope.body);
    } catch (err) {
      this.#log.warn({ err, id: envelope.id, taskId: row.taskId }, 'toq upstream: malformed a2a.event dropped');
      return;
    }
    if (bridged !== undefined) return this.#onBridgeEvent(row, bridged);
    const reply = toA2aReply(envelope.body, this.#replyState);
    if (reply.ignoredState !== undefined) this.#log.warn({ taskId: row.taskId, state: reply.ignoredState }, 'reply names no usable A2A state; using the default');
    const events = toA2aReplyEvents(reply, { taskId: row.taskId, contextId: row.contextId, messageId: randomUUID(), artifactId: `${row.taskId}-response`, timestamp: this.#iso() });
    await this.#apply(contextOf(row), events, this.#live.get(row.taskId)?.bus);
    if (isTerminalTaskState(reply.state) || isInterruptedTaskState(reply.state)) this.#endTurn(row);
    this.#log.debug({ taskId: row.taskId, threadId, state: reply.state }, 'toq upstream: reply applied');
  }

  /**
   * DESIGN §5.1: one of the far gateway's own A2A events, in our task's ids. The first answer to a
   * held task decides what the client sees: a direct `Message` stays a `Message`; anything else
   * publishes the task first (unless the answer is a task snapshot itself).
   */
  async #onBridgeEvent(row: UpstreamTaskRow, event: StreamResponse): Promise<void> {
    const near = toNearEvent(event, { taskId: row.taskId, contextId: row.contextId });
    const payload = near.payload!;
    const live = this.#live.get(row.taskId);
    const bus = live?.bus;
    const context = contextOf(row);
    if (live?.held !== undefined) {
      const held = live.held;
      clearTimeout(held.timer);
      live.held = undefined;
      if (payload.$case === 'message') {
        live.bus.publish(AgentEvent.message(payload.value));
        this.#endTurn(row);
        return;
      }
      if (payload.$case !== 'task') await this.#apply(context, [AgentEvent.task(held.task), this.#status(row.taskId, row.contextId, TaskState.TASK_STATE_WORKING)], bus);
    }
    await live?.published;
    switch (payload.$case) {
      case 'message': {
        // The task is visible already: the answer becomes its completing status message.
        const message = { ...payload.value, taskId: row.taskId };
        await this.#apply(context, [AgentEvent.statusUpdate({ taskId: row.taskId, contextId: row.contextId, status: { state: TaskState.TASK_STATE_COMPLETED, message, timestamp: this.#iso() }, metadata: undefined })], bus);
        this.#endTurn(row);
        return;
      }
      case 'task': {
        await this.#apply(context, [AgentEvent.task(payload.value)], bus);
        // A paused snapshot does not end the turn: agents republish it when a follow-up arrives
        // (a2a-notes §12.2); the far gateway ends a paused turn with a status update.
        if (isTerminalTaskState(payload.value.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED)) this.#endTurn(row);
        return;
      }
      case 'statusUpdate': {
        await this.#apply(context, [AgentEvent.statusUpdate(payload.value)], bus);
        const state = payload.value.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED;
        if (isTerminalTaskState(state) || isInterruptedTaskState(state)) this.#endTurn(row);
        return;
      }
      case 'artifactUpdate': {
        const update = AgentEvent.artifactUpdate(payload.value);
        // An append is not idempotent: with a live bus, the SDK's consumer persists it (see #onStreamPiece).
        if (payload.value.append && bus !== undefined) bus.publish(update);
        else await this.#apply(context, [update], bus);
        return;
      }
    }
  }

  async #onStreamPiece(envelope: Envelope, threadId: string, isEnd: boolean): Promise<void> {
    const row = await this.#pickTask(threadId, envelope.reply_to);
    if (row === undefined) {
      this.#log.info({ id: envelope.id, threadId, type: envelope.type }, 'toq upstream: stream piece with no waiting task dropped');
      return;
    }
    const piece = toA2aStreamPiece(envelope.body);
    const ids = { taskId: row.taskId, contextId: row.contextId, artifactId: streamArtifactId(row.taskId, piece.streamId) };
    const append = row.chunks > 0;
    const chunk = toA2aChunkEvent(piece, ids, { append, lastChunk: isEnd });
    const bus = this.#live.get(row.taskId)?.bus;
    if (append && bus !== undefined) {
      // An append is not idempotent: the SDK's consumer of the live bus persists it (applying it
      // here too would store the piece twice). Without a live bus, the store is all there is.
      bus.publish(chunk);
    } else {
      await this.#apply(contextOf(row), [chunk], bus);
    }
    if (isEnd) await this.#apply(contextOf(row), [this.#status(row.taskId, row.contextId, TaskState.TASK_STATE_COMPLETED)], bus);
    if (isEnd) this.#endTurn(row);
    else this.#tasks.countChunk(row, this.#now());
  }

  /** DESIGN §5.2: open tasks complete; the context's next turn starts a new thread. */
  async #onThreadClose(envelope: Envelope, threadId: string): Promise<void> {
    const last = this.#tasks.lastTaskOfThread(this.#agent, threadId);
    if (last === undefined) {
      this.#log.info({ id: envelope.id, threadId }, 'toq upstream: thread.close on an unknown thread dropped');
      return;
    }
    // A close that says something (the API's close carries the normal body) is the last reply.
    const hasContent = hasReplyContent(envelope.body);
    let isFirst = true;
    for (const row of this.#tasks.openTasksOfThread(this.#agent, threadId)) {
      const events =
        isFirst && hasContent
          ? toA2aReplyEvents(toA2aReply(envelope.body, TaskState.TASK_STATE_COMPLETED), { taskId: row.taskId, contextId: row.contextId, messageId: randomUUID(), artifactId: `${row.taskId}-response`, timestamp: this.#iso() })
          : [this.#status(row.taskId, row.contextId, TaskState.TASK_STATE_COMPLETED)];
      isFirst = false;
      const task = await this.#taskStore.load(row.taskId, contextOf(row));
      if (task !== undefined && !isTerminalTaskState(task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED)) {
        await this.#apply(contextOf(row), events, this.#live.get(row.taskId)?.bus);
      }
      this.#endTurn(row);
    }
    this.#tasks.bumpGeneration(this.#agent, last.owner, last.contextId);
    this.#log.debug({ threadId, contextId: last.contextId }, 'toq upstream: thread closed by the remote agent');
  }

  /** The task a message on the thread answers: the one `reply_to` names, else the oldest open one. */
  async #pickTask(threadId: string, replyTo: string | undefined): Promise<UpstreamTaskRow | undefined> {
    const open = this.#tasks.openTasksOfThread(this.#agent, threadId);
    const ordered = replyTo === undefined ? open : [...open.filter((r) => r.envelopeId === replyTo), ...open.filter((r) => r.envelopeId !== replyTo)];
    for (const row of ordered) {
      // A task held back for the far side's first answer is not stored yet (DESIGN §5.1).
      if (this.#live.get(row.taskId)?.held !== undefined) return row;
      const task = await this.#taskStore.load(row.taskId, contextOf(row));
      if (task !== undefined && !isTerminalTaskState(task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED)) return row;
      // Canceled (or lost) while it waited: it takes no reply.
      this.#tasks.closeTurn(row, this.#now());
    }
    return undefined;
  }

  #watch(envelopeId: string): void {
    if (this.#watched.has(envelopeId)) return;
    this.#watched.add(envelopeId);
    this.#port
      .waitForOutcome(envelopeId, this.#watchMs)
      .then(async (entry) => {
        if (entry !== undefined && (entry.status === 'failed' || entry.status === 'undeliverable')) await this.#failDelivery(entry);
      })
      .catch((err: unknown) => this.#log.warn({ err, id: envelopeId }, 'toq upstream: delivery watch failed'))
      .finally(() => this.#watched.delete(envelopeId));
  }

  /** DESIGN §5.2: a message that cannot be delivered fails its task, if that task still waits on it. */
  async #failDelivery(entry: OutboxEntry): Promise<void> {
    if (this.#isClosed) return;
    const row = this.#tasks.findByEnvelope(this.#agent, entry.id);
    if (row === undefined || !row.isOpen || row.envelopeId !== entry.id) return;
    const task = await this.#taskStore.load(row.taskId, contextOf(row));
    if (task !== undefined && !isTerminalTaskState(task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED)) {
      const status = entry.status === 'undeliverable' ? 'undeliverable' : 'failed';
      const text = toA2aFailureText({ status, code: entry.lastError?.code ?? status, message: entry.lastError?.message ?? '' }, this.#target);
      await this.#apply(contextOf(row), [this.#status(row.taskId, row.contextId, TaskState.TASK_STATE_FAILED, text)], this.#live.get(row.taskId)?.bus);
      this.#log.info({ taskId: row.taskId, id: entry.id, status: entry.status }, 'toq upstream: task failed, message not delivered');
    }
    this.#endTurn(row);
  }

  #endTurn(row: UpstreamTaskRow): void {
    this.#tasks.closeTurn(row, this.#now());
    this.#live.get(row.taskId)?.settle();
  }

  async #apply(context: ServerCallContext, events: readonly AgentExecutionEvent[], bus: ExecutionEventBus | undefined): Promise<void> {
    await applyTaskEvents(this.#taskStore, context, events, bus, this.#push);
  }

  #status(taskId: string, contextId: string, state: TaskState, text?: string): AgentExecutionEvent {
    return statusEvent(taskId, contextId, state, this.#iso(), text);
  }


  #iso(): string {
    return new Date(this.#now()).toISOString();
  }
}

/** The call context a stored task belongs to: its tenant (the agent) and its owner's scope. */
function contextOf(row: UpstreamTaskRow): ServerCallContext {
  return ownerCallContext(row.agent, row.owner);
}

function hasReplyContent(body: JsonValue | undefined): boolean {
  if (!isJsonObject(body)) return false;
  const text = body['text'];
  const parts = body['parts'];
  return (typeof text === 'string' && text !== '') || (Array.isArray(parts) && parts.length > 0);
}
