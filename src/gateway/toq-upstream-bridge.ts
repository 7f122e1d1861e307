// The A2A side of one toq-upstream agent (DESIGN §3 "toq upstream", §4, §5.2): `[agents.bob]
// toq = "toq://example.org/bob"` makes A2A calls to /a2a/bob into toq messages from our hosted
// identity `bob` to the remote agent, and its answers into task updates. SendMessage → a durable
// `message.send` (outbox) on the context's thread; replies, stream pieces and thread.close that
// come back for `bob` → status, artifacts and states; a failed delivery → FAILED; CancelTask →
// CANCELED at once and `message.cancel`; a `system.error` about our message after its ack → FAILED;
// raw file parts the remote agent's card does not allow → refused before anything is stored
// (checkFileParts). Every update is written to the task store first and then
// published on the task's live bus, if any, so late replies (also after a restart) still land.
// When the remote agent is another toq-gateway's A2A agent (its card says `a2a-bridge/1`), the
// lossless profile of DESIGN §5.1 is used instead: the whole A2A message goes out and the far
// side's own A2A events come back, rewritten into our task's ids; a direct `Message` answer stays
// a `Message` (the task is held back until the first answer or BRIDGE_FIRST_EVENT_GRACE_MS).
// It never touches sockets or the outbox itself: the daemon gives it a port.

import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { StreamResponse, TaskState, type Message, type Task } from '@a2a-js/sdk';
import { AgentEvent, resolveUserScope, type AgentExecutionEvent, type AgentExecutor, type ExecutionEventBus, type PushNotificationSender, type RequestContext, type ServerCallContext, type TaskStore } from '@a2a-js/sdk/server';
import { ownerCallContext } from '../a2a/call-context.js';
import { canonicalAddress } from '../protocol/address.js';
import type { Envelope } from '../protocol/envelope.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../protocol/json-value.js';
import type { OutboxEntry } from '../store/outbox-record.js';
import { toToqMessageBody } from './translate/a2a-message.js';
import { fromBridgeEventBody, toBridgeRequestBody, toNearEvent } from './translate/a2a-bridge.js';
import { toA2aReply, toA2aReplyEvents } from './translate/a2a-reply.js';
import { toToqCancel, type ToqCancelFields } from './translate/cancel-message.js';
import { toA2aFailureText, toA2aLateErrorText } from './translate/delivery-failure.js';
import { checkA2aFileParts, toFileLimits, type FileLimitsCard } from './translate/file-limits.js';
import { streamArtifactId, toA2aChunkEvent, toA2aStreamPiece } from './translate/stream-chunk.js';
import { isInterruptedTaskState, isTerminalTaskState } from './translate/task-state.js';
import { toToqThreadId } from './translate/thread-id.js';
import { applyTaskEvents, requestTask, statusEvent, workingTaskEvent } from './task-events.js';
import type { UpstreamTaskRow, UpstreamTaskStore } from './toq-upstream-task-store.js';

/** How long an executor keeps its task's event bus open for a reply; later replies go to the store only. */
export const DEFAULT_UPSTREAM_REPLY_HOLD_MS = 60 * 60_000;
/**
 * Lossless profile: how long the task is held back waiting for the far side's first answer, so a
 * direct `Message` answer can reach the client as a `Message` (DESIGN §5.1). After it the task is
 * published as `working`, as on the plain path.
 */
export const BRIDGE_FIRST_EVENT_GRACE_MS = 1_500;
/**
 * A `system.error` about our message that no send was waiting for, while that message's attempt
 * is still out: how long we wait for the attempt's outcome (the ack usually landed a moment
 * before, and the outbox records it a turn later) before deciding it did not come after an ack.
 * A little more than the default ack timeout (10 s).
 */
export const LATE_ERROR_ACK_WAIT_MS = 15_000;

/** What the bridge needs from the daemon: the durable outbox and a best-effort direct send. */
export interface ToqUpstreamPort {
  /**
   * Commits a `message.send` from hosted agent `agent` (DESIGN §7); resolves once it is durable
   * (and so is every write made before the call), and only then does it leave.
   */
  enqueue(message: { agent: string; to: string; body: JsonObject; thread_id: string; id: string }): Promise<void>;
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
  /**
   * The remote agent's toq card as `agent`'s session setup with `target` carried it (its
   * accept_files and max_file_size, DESIGN §5.2), or undefined when it cannot be reached now.
   * Absent: no card is known, only the frame limits raw parts.
   */
  peerCard?(agent: string, target: string): Promise<FileLimitsCard | undefined>;
  /**
   * DESIGN §4 (`a2a_principal_identities`): the toq identity that speaks for the authenticated
   * `principal` when it calls hosted agent `agent`, registered (idempotently) so it can send and
   * its replies reach this bridge; returns its agent name. Absent: every caller speaks as `agent`.
   */
  principalSender?(agent: string, principal: string): string;
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
  /**
   * The task's first save and publication (plain profile: made while its message is committed;
   * lossless profile: once the grace ended). Answers wait for it, so none lands before the task.
   */
  published?: Promise<void>;
}

export class ToqUpstreamBridge {
  readonly executor: AgentExecutor;
  readonly #agent: string;
  readonly #target: string;
  readonly #targetCanonical: string;
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
    this.#targetCanonical = canonicalAddress(options.target);
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
    // Only the remote agent answers for it: anyone else who learned a thread or envelope id (the
    // hosted identity may be reachable in open mode) could otherwise complete or fail its tasks.
    if (!this.#isTarget(peerAddress)) {
      this.#log.warn({ id: envelope.id, type: envelope.type, peer: peerAddress, target: this.#target }, 'toq upstream: envelope from another agent than the remote one dropped');
      return Promise.resolve();
    }
    // A system.error names our message by related_id, not a thread (wire spec §7).
    if (envelope.type === 'system.error') {
      this.#onPeerError(envelope, peerAddress);
      return Promise.resolve();
    }
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

  #isTarget(peerAddress: string): boolean {
    try {
      return canonicalAddress(peerAddress) === this.#targetCanonical;
    } catch {
      return false;
    }
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

  /**
   * DESIGN §5.2: refuses (throws the A2A error) a request whose raw file parts the remote agent
   * would not take, before anything is stored or sent: its toq card's accept_files and
   * max_file_size, and what fits in one frame. A lossless-profile peer (its A2A side states no
   * file limits) and an agent that cannot be reached now get the frame limit only.
   */
  async checkFileParts(message: Message, context: ServerCallContext): Promise<void> {
    // Plain messages need no probe of the remote agent.
    if (!message.parts.some((part) => part.content?.$case === 'raw')) return;
    // Probed over the session the message would take: the caller's sender (DESIGN §4).
    const sender = this.#senderFor(context);
    const isBridge = await this.#port.isBridge(sender, this.#target);
    const card = isBridge ? undefined : await this.#port.peerCard?.(sender, this.#target);
    checkA2aFileParts(message, toFileLimits(card));
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
    const sender = this.#senderFor(context);
    const task = requestTask(ctx, this.#iso());
    this.#tasks.openTurn({ agent: this.#agent, owner, taskId: ctx.taskId, contextId: ctx.contextId, threadId, envelopeId, sender }, nowMs);

    let settle: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const live: LiveTask = { bus, settle };
    // Registered before the message leaves, so even an instant reply finds the live bus.
    this.#live.set(ctx.taskId, live);
    const timer = setTimeout(settle, this.#holdMs);
    timer.unref();
    try {
      const ids = { taskId: ctx.taskId, contextId: ctx.contextId };
      // The probe dials the session the message will use: the same sender (DESIGN §4).
      const isBridge = await this.#port.isBridge(sender, this.#target);
      const start = [workingTaskEvent(task, this.#iso())];
      let saved: Promise<void> = Promise.resolve();
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
        // Saved while the message itself is committed, so both share one flush of the disk
        // (wal-sync.ts); an answer waits for this save (#pickTask). Should the save fail, the
        // executor fails the call and the answer finds no task to apply to.
        saved = this.#apply(context, start, bus);
        live.published = saved.catch(() => undefined);
      }
      // DESIGN §4: the hosted agent's identity (or the caller's derived one) is the sender; the
      // body keeps the A2A ids and never names the principal.
      const body = isBridge ? toBridgeRequestBody(ctx.userMessage, ids) : toToqMessageBody(ctx.userMessage, ids);
      const queued = this.#port.enqueue({ agent: sender, to: this.#target, body, thread_id: threadId, id: envelopeId });
      await Promise.all([saved, queued]);
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
    // From the identity that sent the message it cancels (the receiver matches it to that sender).
    this.#port.sendControl(row.sender, this.#target, toToqCancel(row.envelopeId, row.threadId)).then(
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
    const held = this.#releaseHeld(live);
    if (held !== undefined) {
      if (payload.$case === 'message') {
        held.bus.publish(AgentEvent.message(payload.value));
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
      const live = this.#live.get(row.taskId);
      // A task held back for the far side's first answer is not stored yet (DESIGN §5.1).
      if (live?.held !== undefined) return row;
      // One whose first save is under way is, once it is done.
      await live?.published;
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

  /**
   * DESIGN §4: with `a2a_principal_identities` (the port offers principalSender), an authenticated
   * caller speaks with its own derived identity; anonymous callers, who share one scope, speak as
   * the hosted agent. The principal is the SDK's user name, which is also the task's owner
   * (resolveUserScope), so a restart derives the same identity from the stored owner.
   */
  #senderFor(context: ServerCallContext): string {
    const user = context.user;
    if (this.#port.principalSender === undefined || user?.isAuthenticated !== true || user.userName === '') return this.#agent;
    return this.#port.principalSender(this.#agent, user.userName);
  }

  /**
   * A `system.error` that answered none of our sends waiting for an ack (the session hands those
   * over as notices). One that names the message of a task still waiting on it, and came after
   * the peer acked that message, fails the task with the error text (DESIGN §5.2); see
   * toA2aLateErrorText for the codes. Before the ack the outbox decides (a refusal fails the task
   * through its failed outcome; the reference's agent_unavailable-then-ack counts as delivered):
   * an error while the message is still queued answers an attempt we stopped waiting for. Not
   * awaited by the session: waiting for the outcome of an attempt under way must not hold its acks.
   */
  #onPeerError(envelope: Envelope, peerAddress: string): void {
    const body = isJsonObject(envelope.body) ? envelope.body : {};
    const related = body['related_id'];
    const error = { code: typeof body['code'] === 'string' ? body['code'] : 'unknown', message: typeof body['message'] === 'string' ? body['message'] : '' };
    const row = typeof related === 'string' ? this.#tasks.findByEnvelope(this.#agent, related) : undefined;
    if (row === undefined || !row.isOpen) {
      // About no message of ours, or a task that has finished (a terminal state stays terminal).
      this.#log.info({ id: envelope.id, related, code: error.code, peer: peerAddress }, 'toq upstream: system.error for no waiting task ignored');
      return;
    }
    const text = toA2aLateErrorText(error, this.#target);
    if (text === undefined) {
      this.#log.info({ id: envelope.id, related, code: error.code, taskId: row.taskId }, 'toq upstream: system.error counts as delivered');
      return;
    }
    this.#failAfterAck(row, text, error.code).catch((err: unknown) => this.#log.warn({ err, taskId: row.taskId, related }, 'toq upstream: late system.error not applied'));
  }

  async #failAfterAck(row: UpstreamTaskRow, text: string, code: string): Promise<void> {
    let entry = this.#port.outboxEntry(row.envelopeId);
    if (entry?.status === 'sending') entry = await this.#port.waitForOutcome(row.envelopeId, LATE_ERROR_ACK_WAIT_MS);
    if (this.#isClosed) return;
    if (entry?.status !== 'delivered') {
      // Failed or expired: #failDelivery reports it. Queued: no ack yet, the next attempt decides.
      this.#log.info({ taskId: row.taskId, id: row.envelopeId, code, status: entry?.status }, 'toq upstream: system.error before any ack left to the outbox');
      return;
    }
    const current = this.#tasks.findByEnvelope(this.#agent, row.envelopeId);
    if (current === undefined || !current.isOpen) return;
    const failed = this.#status(current.taskId, current.contextId, TaskState.TASK_STATE_FAILED, text);
    const live = this.#live.get(current.taskId);
    const held = this.#releaseHeld(live);
    if (held !== undefined) {
      // Lossless profile: the task nobody has seen yet (DESIGN §5.1) appears with its failure.
      await this.#apply(contextOf(current), [AgentEvent.task(held.task), failed], held.bus);
    } else {
      await live?.published;
      const task = await this.#taskStore.load(current.taskId, contextOf(current));
      if (task === undefined || isTerminalTaskState(task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED)) {
        this.#log.info({ taskId: current.taskId, code }, 'toq upstream: system.error after the task ended ignored');
        this.#endTurn(current);
        return;
      }
      await this.#apply(contextOf(current), [failed], live?.bus);
    }
    this.#log.info({ taskId: current.taskId, id: current.envelopeId, code }, 'toq upstream: task failed, the remote agent reported an error after its ack');
    this.#endTurn(current);
  }

  /**
   * Lossless profile: the task still held back (DESIGN §5.1) and its live bus, now the caller's to
   * publish; undefined when none is held.
   */
  #releaseHeld(live: LiveTask | undefined): { readonly task: Task; readonly bus: ExecutionEventBus } | undefined {
    const held = live?.held;
    if (live === undefined || held === undefined) return undefined;
    clearTimeout(held.timer);
    live.held = undefined;
    return { task: held.task, bus: live.bus };
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
