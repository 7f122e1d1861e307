// An A2A request handler with one more check on SendMessage and SendStreamingMessage, run before
// the request reaches the SDK's handler (DESIGN §5.2: raw bytes obey accept_files and
// max_file_size): a check that throws answers the caller with that A2A error, and nothing is
// stored (the SDK saves a continued task's history before the executor runs, so the executor is
// too late) and nothing is sent. Every other method is the inner handler's, unchanged. It must not
// translate or store anything itself.

import type { AgentCard, CancelTaskRequest, DeleteTaskPushNotificationConfigRequest, GetExtendedAgentCardRequest, GetTaskPushNotificationConfigRequest, GetTaskRequest, ListTaskPushNotificationConfigsRequest, ListTaskPushNotificationConfigsResponse, ListTasksRequest, ListTasksResponse, Message, SendMessageRequest, StreamResponse, SubscribeToTaskRequest, Task, TaskPushNotificationConfig } from '@a2a-js/sdk';
import type { A2ARequestHandler, ServerCallContext } from '@a2a-js/sdk/server';

/** Throws an A2A error (ContentTypeNotSupportedError, RequestMalformedError, ...) to refuse the message. */
export type SendPrecheck = (message: Message, context: ServerCallContext) => void | Promise<void>;

export class PrecheckedRequestHandler implements A2ARequestHandler {
  readonly #inner: A2ARequestHandler;
  readonly #check: SendPrecheck;

  constructor(inner: A2ARequestHandler, check: SendPrecheck) {
    this.#inner = inner;
    this.#check = check;
  }

  async sendMessage(params: SendMessageRequest, context: ServerCallContext): Promise<Message | Task> {
    // A request without a message is the SDK's to refuse, with its own error.
    if (params.message !== undefined) await this.#check(params.message, context);
    return this.#inner.sendMessage(params, context);
  }

  async *sendMessageStream(params: SendMessageRequest, context: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    // Runs at the first next(): the bindings wait for the first event before they answer, so a
    // refusal is a plain error response, not a broken stream.
    if (params.message !== undefined) await this.#check(params.message, context);
    yield* this.#inner.sendMessageStream(params, context);
  }

  getAgentCard(): Promise<AgentCard> {
    return this.#inner.getAgentCard();
  }

  getAuthenticatedExtendedAgentCard(params: GetExtendedAgentCardRequest, context: ServerCallContext): Promise<AgentCard> {
    return this.#inner.getAuthenticatedExtendedAgentCard(params, context);
  }

  getTask(params: GetTaskRequest, context: ServerCallContext): Promise<Task> {
    return this.#inner.getTask(params, context);
  }

  cancelTask(params: CancelTaskRequest, context: ServerCallContext): Promise<Task> {
    return this.#inner.cancelTask(params, context);
  }

  createTaskPushNotificationConfig(params: TaskPushNotificationConfig, context: ServerCallContext): Promise<TaskPushNotificationConfig> {
    return this.#inner.createTaskPushNotificationConfig(params, context);
  }

  getTaskPushNotificationConfig(params: GetTaskPushNotificationConfigRequest, context: ServerCallContext): Promise<TaskPushNotificationConfig> {
    return this.#inner.getTaskPushNotificationConfig(params, context);
  }

  listTaskPushNotificationConfigs(params: ListTaskPushNotificationConfigsRequest, context: ServerCallContext): Promise<ListTaskPushNotificationConfigsResponse> {
    return this.#inner.listTaskPushNotificationConfigs(params, context);
  }

  deleteTaskPushNotificationConfig(params: DeleteTaskPushNotificationConfigRequest, context: ServerCallContext): Promise<void> {
    return this.#inner.deleteTaskPushNotificationConfig(params, context);
  }

  resubscribe(params: SubscribeToTaskRequest, context: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    return this.#inner.resubscribe(params, context);
  }

  listTasks(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    return this.#inner.listTasks(params, context);
  }
}
