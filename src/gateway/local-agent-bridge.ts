// The A2A side of the local agent (DESIGN §5.2): the AgentExecutor that turns an A2A message into
// an incoming toq message for the local agent's handlers and SSE listeners, and the reply channel
// through which their answer (POST /v1/messages with the A2A thread id, the reference's way)
// becomes the task's result. Every task update is written to the task store here first and then
// published on the task's live event bus, if any: so a reply is durable even when no client is
// streaming, reaches streaming clients and resubscribers while the bus lives, and still completes
// the task after a restart (the thread ↔ task map is in the same SQLite file).

import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { TaskState } from '@a2a-js/sdk';
import { AgentEvent, resolveUserScope, type AgentExecutionEvent, type AgentExecutor, type ExecutionEventBus, type PushNotificationSender, type RequestContext, type ServerCallContext, type TaskStore } from '@a2a-js/sdk/server';
import { ownerCallContext } from '../a2a/call-context.js';
import { formatTimestamp } from '../protocol/timestamp.js';
import type { A2aThreadStore, ThreadTaskRow } from './a2a-thread-store.js';
import type { LocalAgentPort, ReplyAccepted, ReplyRequest } from './local-agent-port.js';
import { toToqIncomingMessage } from './translate/a2a-message.js';
import { toA2aReply, toA2aReplyEvents } from './translate/a2a-reply.js';
import { isInterruptedTaskState, isTerminalTaskState } from './translate/task-state.js';
import { toToqThreadId } from './translate/thread-id.js';
import { applyTaskEvents, requestTask, statusEvent, workingTaskEvent } from './task-events.js';

/** How long an executor keeps its task's event bus open for a reply; later replies go to the store only. */
export const DEFAULT_REPLY_HOLD_MS = 60 * 60_000;

export interface LocalAgentBridgeOptions {
  /** @default DEFAULT_REPLY_HOLD_MS (1 h) */
  readonly replyHoldMs?: number;
  /**
   * The state a reply without `a2a.state` gives its task (`a2a_reply_state`, DESIGN §5.2):
   * input-required suits conversational agents. @default TASK_STATE_COMPLETED
   */
  readonly replyState?: TaskState;
}

export interface LocalAgentBridgeDeps {
  readonly port: LocalAgentPort;
  readonly taskStore: TaskStore;
  readonly threads: A2aThreadStore;
  /** Webhooks of tasks updated with nobody listening (late replies). */
  readonly push?: PushNotificationSender;
  readonly log: Logger;
  readonly now?: () => number;
}

interface LiveTask {
  readonly bus: ExecutionEventBus;
  settle(): void;
}

export class LocalAgentBridge {
  readonly executor: AgentExecutor;
  readonly #port: LocalAgentPort;
  readonly #taskStore: TaskStore;
  readonly #push: PushNotificationSender | undefined;
  readonly #threads: A2aThreadStore;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #holdMs: number;
  readonly #replyState: TaskState;
  /** Executors waiting for a reply, by task id (task ids are UUIDs minted by the SDK). */
  readonly #live = new Map<string, LiveTask>();

  constructor(options: LocalAgentBridgeOptions, deps: LocalAgentBridgeDeps) {
    this.#port = deps.port;
    this.#taskStore = deps.taskStore;
    this.#push = deps.push;
    this.#threads = deps.threads;
    this.#log = deps.log;
    this.#now = deps.now ?? Date.now;
    this.#holdMs = options.replyHoldMs ?? DEFAULT_REPLY_HOLD_MS;
    this.#replyState = options.replyState ?? TaskState.TASK_STATE_COMPLETED;
    this.executor = {
      execute: (ctx, bus) => this.#execute(ctx, bus),
      cancelTask: (taskId, bus) => this.#cancel(taskId, bus),
    };
  }

  /**
   * The reply channel (local-API spec §3.1 step 1): if `thread_id` is an A2A thread, the body is
   * the answer to its task (the one whose turn `reply_to` names, else the oldest waiting one) and
   * the answer is the reference's 200; undefined when the thread is not an A2A thread (the send
   * goes on as a normal toq send). A reply to a thread whose tasks have all finished (canceled,
   * say) is dropped, and still answered 200: the handler did nothing wrong.
   */
  async deliverReply(request: ReplyRequest): Promise<ReplyAccepted | undefined> {
    const threadId = request.thread_id;
    if (threadId === undefined) return undefined;
    const open = this.#threads.openTasksOfThread(threadId);
    if (open.length === 0) {
      if (!this.#threads.isA2aThread(threadId)) return undefined;
      this.#log.info({ threadId }, 'reply on an A2A thread with no waiting task dropped');
      return this.#accepted(threadId);
    }
    const replyTo = request.reply_to;
    const ordered = replyTo === undefined ? open : [...open.filter((r) => r.envelopeId === replyTo), ...open.filter((r) => r.envelopeId !== replyTo)];
    for (const row of ordered) {
      const context = contextOf(row);
      const task = await this.#taskStore.load(row.taskId, context);
      if (task === undefined || isTerminalTaskState(task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED)) {
        // Canceled (or lost) while it waited: it takes no reply.
        this.#threads.closeTurn(row.tenant, row.owner, row.taskId, this.#now());
        continue;
      }
      const said = toA2aReply(request.body, this.#replyState);
      // DESIGN §5.2 thread.close: the thread's open tasks complete (a terminal state it names stays).
      const reply = request.close_thread && !isTerminalTaskState(said.state) ? { ...said, state: TaskState.TASK_STATE_COMPLETED } : said;
      if (reply.ignoredState !== undefined) this.#log.warn({ taskId: row.taskId, state: reply.ignoredState }, 'reply names no usable A2A state; using the default');
      const events = toA2aReplyEvents(reply, { taskId: row.taskId, contextId: row.contextId, messageId: randomUUID(), artifactId: `${row.taskId}-response`, timestamp: this.#iso() });
      const live = this.#live.get(row.taskId);
      await this.#apply(context, events, live?.bus);
      if (isTerminalTaskState(reply.state) || isInterruptedTaskState(reply.state)) {
        this.#threads.closeTurn(row.tenant, row.owner, row.taskId, this.#now());
        live?.settle();
      }
      if (request.close_thread) {
        await this.#completeOthers(ordered.filter((other) => other.taskId !== row.taskId));
        // A closed thread: the context's next turn starts a new one (DESIGN §5.2 thread.close).
        this.#threads.bumpGeneration(row.tenant, row.owner, row.contextId);
      }
      this.#log.debug({ taskId: row.taskId, threadId, state: reply.state }, 'A2A reply applied');
      return this.#accepted(threadId);
    }
    this.#log.info({ threadId }, 'reply on an A2A thread whose tasks have finished dropped');
    return this.#accepted(threadId);
  }

  /** thread.close: the thread's other open tasks complete without a reply of their own. */
  async #completeOthers(rows: readonly ThreadTaskRow[]): Promise<void> {
    for (const row of rows) {
      const context = contextOf(row);
      const task = await this.#taskStore.load(row.taskId, context);
      const live = this.#live.get(row.taskId);
      if (task !== undefined && !isTerminalTaskState(task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED)) {
        await this.#apply(context, [this.#status(row.taskId, row.contextId, TaskState.TASK_STATE_COMPLETED)], live?.bus);
      }
      this.#threads.closeTurn(row.tenant, row.owner, row.taskId, this.#now());
      live?.settle();
    }
  }

  /** Releases every waiting executor (daemon shutdown); their tasks stay as stored. */
  close(): void {
    for (const live of [...this.#live.values()]) live.settle();
    this.#live.clear();
  }

  async #execute(ctx: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const context = ctx.context;
    const tenant = context.tenant ?? '';
    const owner = resolveUserScope(context);
    const nowMs = this.#now();
    const agent = this.#port.agentName;
    const threadId = toToqThreadId({ agent, principal: owner, contextId: ctx.contextId, generation: this.#threads.generationOf(tenant, owner, ctx.contextId) });
    const incoming = toToqIncomingMessage(ctx.userMessage, { id: randomUUID(), threadId, taskId: ctx.taskId, contextId: ctx.contextId, timestamp: formatTimestamp(nowMs) });
    const task = requestTask(ctx, this.#iso());

    if (!this.#port.hasReceiver(incoming)) {
      // Nobody would ever answer: fail now rather than after every timeout (DESIGN §5.2).
      bus.publish(AgentEvent.task(task));
      bus.publish(this.#status(ctx.taskId, ctx.contextId, TaskState.TASK_STATE_FAILED, `no handler or listener for agent ${agent}`));
      return;
    }
    // Durable before the task is acknowledged: the thread map, then the history entry.
    this.#threads.openTurn({ tenant, owner, taskId: ctx.taskId, contextId: ctx.contextId, threadId, envelopeId: incoming.id }, nowMs);
    await this.#port.commit(incoming);

    let settle: () => void = () => undefined;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    const live: LiveTask = { bus, settle };
    // Registered before anyone sees the message, so even an instant reply finds the live bus.
    this.#live.set(ctx.taskId, live);
    const timer = setTimeout(settle, this.#holdMs);
    timer.unref();
    try {
      await this.#apply(context, [workingTaskEvent(task, this.#iso())], bus);
      this.#port.deliver(incoming);
      this.#log.debug({ taskId: ctx.taskId, threadId, id: incoming.id }, 'A2A message delivered to the local agent');
      // Returning closes the bus (unless the task is interrupted): wait for the reply, within the hold.
      await settled;
    } finally {
      clearTimeout(timer);
      if (this.#live.get(ctx.taskId) === live) this.#live.delete(ctx.taskId);
    }
  }

  async #cancel(taskId: string, bus: ExecutionEventBus): Promise<void> {
    const row = this.#threads.findTask(taskId);
    // The SDK persists what we publish here (its cancel waits on this bus for a terminal state).
    bus.publish(this.#status(taskId, row?.contextId ?? '', TaskState.TASK_STATE_CANCELED, 'Task canceled by the client.'));
    if (row !== undefined) this.#threads.closeTurn(row.tenant, row.owner, taskId, this.#now());
    this.#live.get(taskId)?.settle();
  }

  async #apply(context: ServerCallContext, events: readonly AgentExecutionEvent[], bus: ExecutionEventBus | undefined): Promise<void> {
    await applyTaskEvents(this.#taskStore, context, events, bus, this.#push);
  }

  #status(taskId: string, contextId: string, state: TaskState, text?: string): AgentExecutionEvent {
    return statusEvent(taskId, contextId, state, this.#iso(), text);
  }


  #accepted(threadId: string): ReplyAccepted {
    return { id: randomUUID(), status: 'delivered', thread_id: threadId, timestamp: formatTimestamp(this.#now()) };
  }

  #iso(): string {
    return new Date(this.#now()).toISOString();
  }
}

/** The call context a stored task belongs to: its tenant and its owner's scope. */
function contextOf(row: ThreadTaskRow): ServerCallContext {
  return ownerCallContext(row.tenant, row.owner);
}
