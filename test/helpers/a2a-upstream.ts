// A small real A2A agent (the SDK's DefaultRequestHandler behind express on 127.0.0.1 port 0),
// posing as the upstream of a hosted `[agents.<name>] a2a = ...` agent. Its executor is scripted
// by the request text: "stream" streams 3 artifact chunks, "ask" pauses input-required and
// completes on the follow-up, "slow" stays working until released (or canceled), anything else is
// echoed back as a direct Message naming the contextId. It records every request it executes.

import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { Role, TaskState, type AgentCard, type Message, type Part, type Task } from '@a2a-js/sdk';
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore, type AgentExecutor, type ExecutionEventBus, type RequestContext } from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';

export interface UpstreamCall {
  readonly text: string;
  readonly contextId: string;
  readonly taskId: string;
  /** The request message's taskId (set on a follow-up of a paused task). */
  readonly requestTaskId: string;
  readonly metadata: Record<string, unknown> | undefined;
  readonly authorization: string | undefined;
  /** The request message as the executor got it (messageId, parts, referenceTaskIds...). */
  readonly message: Message;
}

export interface TestUpstream {
  readonly url: string;
  readonly calls: UpstreamCall[];
  /** Task ids whose cancel reached the executor. */
  readonly canceled: string[];
  /** Task ids a SubscribeToTask stream is attached to (recorded after its first event). */
  readonly subscribed: string[];
  /** Lets every "slow" task finish. */
  release(): void;
  /** Resolves when the executor has seen `n` calls. */
  waitForCalls(n: number, timeoutMs?: number): Promise<UpstreamCall[]>;
  close(): Promise<void>;
}

const text = (value: string): Part => ({ content: { $case: 'text', value }, mediaType: 'text/plain', filename: '', metadata: undefined });

const agentMessage = (ctx: { contextId: string; taskId: string }, value: string): Message => ({
  messageId: `m-${Math.random().toString(16).slice(2)}`,
  contextId: ctx.contextId,
  taskId: ctx.taskId,
  role: Role.ROLE_AGENT,
  parts: [text(value)],
  metadata: undefined,
  extensions: [],
  referenceTaskIds: [],
});

export async function startTestUpstream(options: { streaming?: boolean } = {}): Promise<TestUpstream> {
  const calls: UpstreamCall[] = [];
  const canceled: string[] = [];
  const subscribed: string[] = [];
  const waiters = new Set<() => void>();
  let releaseGate: () => void = () => undefined;
  let gate = new Promise<void>((resolve) => (releaseGate = resolve));
  const lastAuthorization: { value?: string } = {};
  const contexts = new Map<string, string>();

  const status = (ctx: RequestContext, state: TaskState, message?: string) =>
    AgentEvent.statusUpdate({ taskId: ctx.taskId, contextId: ctx.contextId, status: { state, message: message === undefined ? undefined : agentMessage(ctx, message), timestamp: new Date().toISOString() }, metadata: undefined });
  const newTask = (ctx: RequestContext): Task => ({
    id: ctx.taskId,
    contextId: ctx.contextId,
    status: { state: TaskState.TASK_STATE_SUBMITTED, message: undefined, timestamp: new Date().toISOString() },
    artifacts: [],
    history: [ctx.userMessage],
    metadata: undefined,
  });

  const executor: AgentExecutor = {
    async execute(ctx: RequestContext, bus: ExecutionEventBus): Promise<void> {
      const said = ctx.userMessage.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('');
      contexts.set(ctx.taskId, ctx.contextId);
      calls.push({ text: said, contextId: ctx.contextId, taskId: ctx.taskId, requestTaskId: ctx.userMessage.taskId, metadata: ctx.userMessage.metadata, authorization: lastAuthorization.value, message: ctx.userMessage });
      for (const wake of [...waiters]) wake();
      if (ctx.task?.status?.state === TaskState.TASK_STATE_INPUT_REQUIRED) {
        bus.publish(AgentEvent.task(ctx.task));
        bus.publish(status(ctx, TaskState.TASK_STATE_COMPLETED, `hello ${said}`));
        return;
      }
      if (said === 'stream') {
        bus.publish(AgentEvent.task(newTask(ctx)));
        bus.publish(status(ctx, TaskState.TASK_STATE_WORKING));
        const chunks = ['one ', 'two ', 'three'];
        chunks.forEach((chunk, i) =>
          bus.publish(
            AgentEvent.artifactUpdate({
              taskId: ctx.taskId,
              contextId: ctx.contextId,
              artifact: { artifactId: 'answer', name: 'answer', description: '', parts: [text(chunk)], metadata: undefined, extensions: [] },
              append: i > 0,
              lastChunk: i === chunks.length - 1,
              metadata: undefined,
            }),
          ),
        );
        bus.publish(status(ctx, TaskState.TASK_STATE_COMPLETED));
        return;
      }
      if (said === 'ask') {
        bus.publish(AgentEvent.task(newTask(ctx)));
        bus.publish(status(ctx, TaskState.TASK_STATE_INPUT_REQUIRED, 'what is your name?'));
        return;
      }
      if (said === 'slow') {
        bus.publish(AgentEvent.task(newTask(ctx)));
        bus.publish(status(ctx, TaskState.TASK_STATE_WORKING));
        await gate;
        if (canceled.includes(ctx.taskId)) return;
        bus.publish(status(ctx, TaskState.TASK_STATE_COMPLETED, 'slow done'));
        return;
      }
      bus.publish(AgentEvent.message(agentMessage({ contextId: ctx.contextId, taskId: '' }, `echo: ${said} ctx=${ctx.contextId}`)));
    },
    async cancelTask(taskId: string, bus: ExecutionEventBus): Promise<void> {
      canceled.push(taskId);
      bus.publish(AgentEvent.statusUpdate({ taskId, contextId: contexts.get(taskId) ?? '', status: { state: TaskState.TASK_STATE_CANCELED, message: undefined, timestamp: new Date().toISOString() }, metadata: undefined }));
    },
  };

  const app = express();
  const server: Server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const card: AgentCard = {
    name: 'test upstream',
    description: 'scripted A2A agent for tests',
    supportedInterfaces: [{ url: `${url}/a2a/jsonrpc`, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0' }],
    provider: undefined,
    version: '1.0.0',
    capabilities: { streaming: options.streaming ?? true, pushNotifications: false, extensions: [] },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: [],
    signatures: [],
  };
  const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), executor);
  const resubscribe = handler.resubscribe.bind(handler);
  handler.resubscribe = async function* (params, context) {
    let isFirst = true;
    for await (const event of resubscribe(params, context)) {
      yield event;
      // The SDK attaches to the task's bus before its first event: from now on nothing is missed.
      if (isFirst) subscribed.push(params.id);
      isFirst = false;
    }
  };
  app.use((req, _res, next) => {
    lastAuthorization.value = req.headers.authorization;
    next();
  });
  app.use('/.well-known/agent-card.json', agentCardHandler({ agentCardProvider: handler }));
  app.use('/a2a/jsonrpc', jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));

  return {
    url,
    calls,
    canceled,
    subscribed,
    release: () => {
      releaseGate();
      gate = new Promise<void>((resolve) => (releaseGate = resolve));
    },
    waitForCalls: (n, timeoutMs = 10_000) =>
      new Promise<UpstreamCall[]>((resolve, reject) => {
        const check = (): void => {
          if (calls.length < n) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(calls);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`upstream saw ${calls.length} calls, expected ${n}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    close: async () => {
      releaseGate();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
