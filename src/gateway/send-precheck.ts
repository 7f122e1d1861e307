// An A2A request handler with one more check on SendMessage and SendStreamingMessage, run before
// the request reaches the SDK's handler (DESIGN §5.2: raw bytes obey accept_files and
// max_file_size): a check that throws answers the caller with that A2A error, and nothing is
// stored (the SDK saves a continued task's history before the executor runs, so the executor is
// too late) and nothing is sent. Every other method is the inner handler's, unchanged. It must not
// translate or store anything itself.

import type { Message, SendMessageRequest, StreamResponse, Task } from '@a2a-js/sdk';
import type { A2ARequestHandler, ServerCallContext } from '@a2a-js/sdk/server';
import { ForwardingRequestHandler } from '../a2a/forwarding-request-handler.js';

/** Throws an A2A error (ContentTypeNotSupportedError, RequestMalformedError, ...) to refuse the message. */
export type SendPrecheck = (message: Message, context: ServerCallContext) => void | Promise<void>;

export class PrecheckedRequestHandler extends ForwardingRequestHandler {
  readonly #check: SendPrecheck;

  constructor(inner: A2ARequestHandler, check: SendPrecheck) {
    super(inner);
    this.#check = check;
  }

  override async sendMessage(params: SendMessageRequest, context: ServerCallContext): Promise<Message | Task> {
    // A request without a message is the SDK's to refuse, with its own error.
    if (params.message !== undefined) await this.#check(params.message, context);
    return this.inner.sendMessage(params, context);
  }

  override async *sendMessageStream(params: SendMessageRequest, context: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    // Runs at the first next(): the bindings wait for the first event before they answer, so a
    // refusal is a plain error response, not a broken stream.
    if (params.message !== undefined) await this.#check(params.message, context);
    yield* this.inner.sendMessageStream(params, context);
  }
}
