// The request handler's answers wait for the disk: every task, task event and task list it
// returns is held until what it shows is committed and on disk (AnswerGatedTaskStore.answerable),
// because the SDK's handler saves through a view whose saves resolve before that (see
// sqlite-task-store.ts). One wait per answer, shared by every answer of the same loop turn,
// instead of one per save. An error answer shows no stored state and is not held.

import type { ListTasksRequest, ListTasksResponse, Message, SendMessageRequest, StreamResponse, SubscribeToTaskRequest, Task, CancelTaskRequest, GetTaskRequest } from '@a2a-js/sdk';
import type { A2ARequestHandler, ServerCallContext } from '@a2a-js/sdk/server';
import { ForwardingRequestHandler } from './forwarding-request-handler.js';
import type { AnswerGatedTaskStore } from './sqlite-task-store.js';

export class DurableAnswersRequestHandler extends ForwardingRequestHandler {
  readonly #answerable: AnswerGatedTaskStore['answerable'];

  constructor(inner: A2ARequestHandler, answerable: AnswerGatedTaskStore['answerable']) {
    super(inner);
    this.#answerable = answerable;
  }

  override async sendMessage(params: SendMessageRequest, context: ServerCallContext): Promise<Message | Task> {
    const result = await this.inner.sendMessage(params, context);
    // A direct Message answer names the task it belongs to, if any.
    const taskId = 'id' in result ? result.id : result.taskId;
    if (taskId !== '') await this.#answerable(taskId, context);
    return result;
  }

  override sendMessageStream(params: SendMessageRequest, context: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    return this.#held(this.inner.sendMessageStream(params, context), context);
  }

  override resubscribe(params: SubscribeToTaskRequest, context: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    return this.#held(this.inner.resubscribe(params, context), context);
  }

  override async getTask(params: GetTaskRequest, context: ServerCallContext): Promise<Task> {
    const task = await this.inner.getTask(params, context);
    await this.#answerable(task.id, context);
    return task;
  }

  override async cancelTask(params: CancelTaskRequest, context: ServerCallContext): Promise<Task> {
    const task = await this.inner.cancelTask(params, context);
    await this.#answerable(task.id, context);
    return task;
  }

  override async listTasks(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    const response = await this.inner.listTasks(params, context);
    // A page may show any task: every commit so far.
    await this.#answerable();
    return response;
  }

  /** The stream's events, each once what it shows is on disk. */
  async *#held(events: AsyncGenerator<StreamResponse, void, undefined>, context: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    for await (const event of events) {
      const taskId = taskIdOf(event);
      if (taskId !== '') await this.#answerable(taskId, context);
      yield event;
    }
  }
}

/** The task a stream event is about ('' for a stand-alone message). */
export function taskIdOf(event: StreamResponse): string {
  const payload = event.payload;
  if (payload === undefined) return '';
  return payload.$case === 'task' ? payload.value.id : payload.value.taskId;
}
