// The A2A request handler we expose: the SDK's DefaultRequestHandler behind the checks and
// fixes of a2a-notes §13 that concern what the handler answers, the same on every binding:
// ListTasks/GetTask parameter ranges, ListTasks `pageSize` reporting the size of the page
// returned, and a blocking SendMessage that gives up waiting after `blockingTimeoutMs` and
// answers with the task as it stands (still working); the task itself keeps going; on the v0.3
// wire, canceling a task that is already canceled is TaskNotCancelableError. Knows nothing of toq.

import { TaskState, type CancelTaskRequest, type GetTaskRequest, type ListTasksRequest, type ListTasksResponse, type Message, type SendMessageRequest, type StreamResponse, type Task } from '@a2a-js/sdk';
import { TaskNotCancelableError } from '@a2a-js/sdk/errors';
import type { A2ARequestHandler, ServerCallContext, TaskStore } from '@a2a-js/sdk/server';
import { LEGACY_A2A_VERSION } from './a2a-version.js';
import { ForwardingRequestHandler } from './forwarding-request-handler.js';
import { checkHistoryLength, checkMessageParts, checkPageSize, checkTimestamp } from './request-checks.js';
import type { TrackingEventBusManager } from './tracking-bus-manager.js';

/** How long a blocking SendMessage waits for a terminal or interrupted state (DESIGN §5.2). */
export const DEFAULT_BLOCKING_TIMEOUT_MS = 30_000;

export interface CheckedRequestHandlerOptions {
  /** A blocking send answers with the current task after this long. @default 30000 */
  readonly blockingTimeoutMs?: number;
}

export class CheckedRequestHandler extends ForwardingRequestHandler {
  readonly #taskStore: TaskStore;
  readonly #buses: TrackingEventBusManager;
  readonly #blockingTimeoutMs: number;

  constructor(inner: A2ARequestHandler, deps: { taskStore: TaskStore; buses: TrackingEventBusManager }, options: CheckedRequestHandlerOptions = {}) {
    super(inner);
    this.#taskStore = deps.taskStore;
    this.#buses = deps.buses;
    this.#blockingTimeoutMs = options.blockingTimeoutMs ?? DEFAULT_BLOCKING_TIMEOUT_MS;
    if (!Number.isFinite(this.#blockingTimeoutMs) || this.#blockingTimeoutMs < 0) throw new RangeError(`blockingTimeoutMs must be >= 0, got ${this.#blockingTimeoutMs}`);
  }

  override async sendMessage(params: SendMessageRequest, context: ServerCallContext): Promise<Message | Task> {
    checkHistoryLength(params.configuration?.historyLength);
    checkMessageParts(params.message);
    const result = this.inner.sendMessage(params, context);
    if (params.configuration?.returnImmediately === true) return result;
    // The SDK waits for a terminal or interrupted state without limit; we wait this long.
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#blockingTimeoutMs);
    });
    try {
      const first = await Promise.race([result, timedOut]);
      if (first !== 'timeout') return first;
    } finally {
      clearTimeout(timer);
    }
    const taskId = this.#buses.taskIdOf(context);
    const task = taskId === undefined ? undefined : await this.#taskStore.load(taskId, context);
    if (task === undefined) return result; // nothing stored yet: keep waiting for the SDK
    // The SDK's promise settles later (or never, for a reply that never comes): nobody awaits it.
    result.catch(() => undefined);
    return withHistoryLength(task, params.configuration?.historyLength);
  }

  override sendMessageStream(params: SendMessageRequest, context: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    checkHistoryLength(params.configuration?.historyLength);
    checkMessageParts(params.message);
    return this.inner.sendMessageStream(params, context);
  }

  override getTask(params: GetTaskRequest, context: ServerCallContext): Promise<Task> {
    checkHistoryLength(params.historyLength);
    return this.inner.getTask(params, context);
  }

  override async listTasks(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    checkPageSize(params.pageSize);
    checkHistoryLength(params.historyLength);
    checkTimestamp('statusTimestampAfter', params.statusTimestampAfter);
    const response = await this.inner.listTasks(params, context);
    // The SDK echoes the requested size; the field reports the size of this page (a2a-notes §13).
    return { ...response, pageSize: response.tasks.length };
  }

  override async cancelTask(params: CancelTaskRequest, context: ServerCallContext): Promise<Task> {
    // The SDK answers a second cancel with the canceled task: v1.0 makes cancel idempotent (spec
    // §3.3.1), but v0.3 lists "already canceled" among the TaskNotCancelableError cases (spec
    // v0.3.0 §8.2), as the v0.3 Python SDK does and the v0.3 TCK checks.
    if (context.requestedVersion === LEGACY_A2A_VERSION) {
      const task = await this.#taskStore.load(params.id, context);
      if (task?.status?.state === TaskState.TASK_STATE_CANCELED) throw new TaskNotCancelableError(`Task not cancelable: ${params.id} is already canceled`);
    }
    return this.inner.cancelTask(params, context);
  }
}

/** historyLength semantics (a2a-notes §4): unset = all, 0 = none, N = the N most recent. */
function withHistoryLength(task: Task, historyLength: number | undefined): Task {
  if (historyLength === undefined) return task;
  return { ...task, history: historyLength === 0 ? [] : task.history.slice(-historyLength) };
}
