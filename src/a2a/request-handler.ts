// Assembles the A2A request handler of one agent: the SDK's DefaultRequestHandler (task
// bookkeeping, blocking/streaming, resubscribe, cancel, history length) over the given task
// store and executor (and, when given, push-notification store and sender), with a bus manager
// that remembers which call created which task, wrapped in CheckedRequestHandler (a2a-notes §13
// fixes, blocking time limit) and, over a store whose saves resolve before they are on disk, in
// DurableAnswersRequestHandler. Knows nothing of toq.

import type { AgentCard } from '@a2a-js/sdk';
import { DefaultRequestHandler, type A2ARequestHandler, type AgentExecutor, type PushNotificationSender, type PushNotificationStore, type TaskStore } from '@a2a-js/sdk/server';
import { CheckedRequestHandler } from './checked-request-handler.js';
import { DurableAnswersRequestHandler } from './durable-answers.js';
import type { AnswerGatedTaskStore } from './sqlite-task-store.js';
import { TrackingEventBusManager } from './tracking-bus-manager.js';

export interface A2aRequestHandlerOptions {
  /** The card the handler checks capabilities and versions against. */
  readonly card: AgentCard;
  /** A store whose saves resolve once on disk (the SDK's), or an answer-gated one (our SQL store's). */
  readonly taskStore: TaskStore | AnswerGatedTaskStore;
  readonly executor: AgentExecutor;
  /** Push-notification configs and their delivery; used only if the card declares `pushNotifications`. */
  readonly push?: { readonly store: PushNotificationStore; readonly sender: PushNotificationSender };
  /** @default DEFAULT_BLOCKING_TIMEOUT_MS (30 s) */
  readonly blockingTimeoutMs?: number;
}

export function createA2aRequestHandler(options: A2aRequestHandlerOptions): A2ARequestHandler {
  const gated = 'answerable' in options.taskStore && 'taskStore' in options.taskStore ? options.taskStore : undefined;
  const taskStore = gated?.taskStore ?? (options.taskStore as TaskStore);
  const buses = new TrackingEventBusManager();
  const inner = new DefaultRequestHandler(options.card, taskStore, options.executor, buses, options.push?.store, options.push?.sender);
  const checked = new CheckedRequestHandler(inner, { taskStore, buses }, options.blockingTimeoutMs === undefined ? {} : { blockingTimeoutMs: options.blockingTimeoutMs });
  return gated === undefined ? checked : new DurableAnswersRequestHandler(checked, gated.answerable);
}
