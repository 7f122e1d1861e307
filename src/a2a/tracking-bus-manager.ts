// The SDK's in-process event-bus manager, plus one fact it does not keep: which task a call
// context started. The SDK mints task ids inside sendMessage and creates the task's bus before
// it runs the executor; we note the pair then, so a blocking send that outlives its time limit
// can still answer with that task's snapshot (checked-request-handler.ts). No I/O.

import { DefaultExecutionEventBusManager, type ExecutionEventBus, type OwnerResolver, type ServerCallContext } from '@a2a-js/sdk/server';

export class TrackingEventBusManager extends DefaultExecutionEventBusManager {
  readonly #taskOfCall = new WeakMap<ServerCallContext, string>();

  constructor(ownerResolver?: OwnerResolver) {
    super(ownerResolver);
  }

  override createOrGetByTaskId(taskId: string, context?: ServerCallContext): ExecutionEventBus {
    if (context !== undefined) this.#taskOfCall.set(context, taskId);
    return super.createOrGetByTaskId(taskId, context);
  }

  /** The task the call with this context created or continued, once its bus exists. */
  taskIdOf(context: ServerCallContext): string | undefined {
    return this.#taskOfCall.get(context);
  }
}
