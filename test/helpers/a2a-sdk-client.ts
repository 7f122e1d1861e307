// The @a2a-js/sdk client side of the A2A integration tests: v1.0 SendMessage requests, answers
// read back as text, client factories for the v0.3 (legacyCompat) JSON-RPC and REST transports,
// and waiting for a task to reach a state. It only talks A2A; it never starts a daemon or server.

import { SendMessageRequest, type AgentCard, type Message, type Task, type TaskState } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, JsonRpcTransportFactory, RestTransportFactory, type Client } from '@a2a-js/sdk/client';
import { until } from './until.js';

/** A user message with one text part; taskId/contextId continue a task or context. */
export const request = (text: string, extra: { taskId?: string; contextId?: string; returnImmediately?: boolean } = {}): SendMessageRequest =>
  SendMessageRequest.fromJSON({
    message: { messageId: `m-${Math.random()}`, role: 'ROLE_USER', parts: [{ text }], ...(extra.taskId && { taskId: extra.taskId }), ...(extra.contextId && { contextId: extra.contextId }) },
    ...(extra.returnImmediately && { configuration: { returnImmediately: true } }),
  });

/** The text parts of a message, joined. */
export const textOf = (message: Message | undefined): string => (message?.parts ?? []).map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');

/** The text parts of all of a task's artifacts, joined. */
export const artifactText = (task: Task): string => task.artifacts.flatMap((a) => a.parts).map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');

/** The answer of a SendMessage as a task; throws if the agent answered with a bare message. */
export function asTask(result: Message | Task): Task {
  if (!('status' in result)) throw new Error('expected a task, got a message');
  return result;
}

/** A factory whose JSON-RPC and REST transports also speak v0.3 (legacyCompat), preferring `preferred`. */
export function legacyClientFactory(preferred: 'JSONRPC' | 'HTTP+JSON'): ClientFactory {
  return new ClientFactory(
    ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
      transports: [new JsonRpcTransportFactory({ legacyCompat: { enabled: true } }), new RestTransportFactory({ legacyCompat: { enabled: true } })],
      preferredTransports: [preferred],
    }),
  );
}

/** The card with only the interfaces of one protocol version, so a client must use that version. */
export const onlyVersion = (card: AgentCard, version: string): AgentCard => ({ ...card, supportedInterfaces: card.supportedInterfaces.filter((i) => i.protocolVersion === version) });

/** Polls GetTask until the task is in `state` and returns it (throws after until's deadline). */
export const taskInState = (client: Client, taskId: string, state: TaskState): Promise<Task> =>
  until(async () => {
    const task = await client.getTask({ tenant: '', id: taskId });
    return task.status?.state === state ? task : undefined;
  });
