// The local agent as an A2A client (local-API spec §9.4, DESIGN §5.2 last paragraph): `POST
// /v1/messages` with `to` an http(s) URL sends the body to that A2A agent (card discovery, the
// caller's `a2a_auth` as a bearer token, the SSRF policy on every connection), waits for the
// answer, and hands the reply to the daemon as a message on the thread (history, SSE). A
// `thread_id` given again continues the same upstream context. It does not touch the local API's
// HTTP layer; errors are thrown for the caller to render.

import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Role, TaskState, type Message, type SendMessageRequest, type Task } from '@a2a-js/sdk';
import { connectA2aClient, type A2aClientHandle } from '../a2a/a2a-client.js';
import type { HostLookup, OutboundUrlPolicy } from '../a2a/outbound-url-policy.js';
import { formatTimestamp } from '../protocol/timestamp.js';
import type { JsonObject, JsonValue } from '../protocol/json-value.js';
import type { A2aUpstreamStore } from './a2a-upstream-store.js';
import { isInterruptedTaskState, isTerminalTaskState } from './translate/task-state.js';
import { toA2aParts } from './translate/upstream-request.js';
import { toToqReplyBody, toToqText, toUpstreamOutcomeFromMessage, toUpstreamOutcomeFromTask, type UpstreamOutcome } from './translate/upstream-reply.js';

/** The reference waits this long for an answer (local-API spec §9.4). */
export const A2A_OUTBOUND_TIMEOUT_MS = 30_000;
/** GetTask polling interval while the remote task is working. */
const POLL_INTERVAL_MS = 500;
/** Cards cached per (URL, credential), as the reference caches them for the daemon's lifetime. */
const MAX_CACHED_CLIENTS = 100;

export interface A2aOutboundOptions {
  readonly policy: OutboundUrlPolicy;
  /** @default 30000 */
  readonly timeoutMs?: number;
}

export interface A2aOutboundDeps {
  /** Thread ↔ remote context, under the key `outbound:<url>`. */
  readonly store: A2aUpstreamStore;
  /** The reply as a message on the thread (the daemon records it and publishes it). */
  onReply(reply: { readonly id: string; readonly from: string; readonly threadId: string; readonly body: JsonObject }): Promise<void>;
  readonly now?: () => number;
  readonly lookup?: HostLookup;
  readonly fetchImpl?: typeof fetch;
}

export interface A2aOutboundRequest {
  readonly url: string;
  readonly body?: JsonValue;
  readonly threadId?: string;
  /** The caller's `a2a_auth`: sent as `Authorization: Bearer <token>`. */
  readonly bearer?: string;
}

/** The answer of local-API spec §9.4 (a type alias, so it is a JSON object). */
export type A2aOutboundResult = {
  /** The remote task id, or the reply message id when the agent answered with a Message. */
  id: string;
  /** delivered: the remote agent finished (or answered directly); sent: it is still on it or paused. */
  status: 'delivered' | 'sent';
  thread_id: string;
  timestamp: string;
  a2a: true;
  reply: string | null;
};

export class A2aOutbound {
  private readonly clients = new Map<string, Promise<A2aClientHandle>>();
  private readonly now: () => number;

  constructor(
    private readonly options: A2aOutboundOptions,
    private readonly deps: A2aOutboundDeps,
  ) {
    this.now = deps.now ?? Date.now;
  }

  async send(request: A2aOutboundRequest, { signal }: { signal?: AbortSignal } = {}): Promise<A2aOutboundResult> {
    const deadline = AbortSignal.timeout(this.options.timeoutMs ?? A2A_OUTBOUND_TIMEOUT_MS);
    const combined = signal === undefined ? deadline : AbortSignal.any([signal, deadline]);
    const handle = await this.client(request.url, request.bearer);
    // Without a thread id the reply still needs a thread to land on (the reference answers "").
    const threadId = request.threadId ?? randomUUID();
    const key = `outbound:${request.url}`;
    const thread = this.deps.store.threadOf(key, threadId);
    const isPaused = thread !== undefined && thread.taskId !== '' && isInterruptedTaskState(thread.taskState);
    const message: Message = {
      messageId: randomUUID(),
      contextId: thread?.contextId ?? '',
      taskId: isPaused ? thread.taskId : '',
      role: Role.ROLE_USER,
      parts: toA2aParts(request.body),
      metadata: undefined,
      extensions: [],
      referenceTaskIds: [],
    };
    const sendRequest: SendMessageRequest = {
      tenant: '',
      message,
      configuration: { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately: false },
      metadata: undefined,
    };
    let result = await handle.client.sendMessage(sendRequest, { signal: combined });
    let outcome: UpstreamOutcome;
    let id: string;
    let contextId: string;
    let taskId = '';
    if (isTask(result)) {
      while (!isSettled(result)) {
        await sleep(POLL_INTERVAL_MS, undefined, { signal: combined });
        result = await handle.client.getTask({ tenant: '', id: result.id }, { signal: combined });
      }
      outcome = toUpstreamOutcomeFromTask(result);
      id = result.id;
      taskId = result.id;
      contextId = result.contextId;
    } else {
      outcome = toUpstreamOutcomeFromMessage(result);
      id = result.messageId;
      contextId = result.contextId;
      taskId = result.taskId;
    }
    if (contextId !== '') this.deps.store.saveThread({ agent: key, threadId, contextId, taskId, taskState: outcome.state }, this.now());
    const text = toToqText(outcome.parts);
    if (outcome.parts.length > 0) await this.deps.onReply({ id: randomUUID(), from: request.url, threadId, body: toToqReplyBody(outcome) });
    return {
      id,
      status: outcome.state === TaskState.TASK_STATE_COMPLETED ? 'delivered' : 'sent',
      thread_id: threadId,
      timestamp: formatTimestamp(this.now()),
      a2a: true,
      reply: outcome.parts.length > 0 ? text : null,
    };
  }

  private client(url: string, bearer: string | undefined): Promise<A2aClientHandle> {
    const cacheKey = `${url}\n${bearer ?? ''}`;
    let handle = this.clients.get(cacheKey);
    if (handle === undefined) {
      if (this.clients.size >= MAX_CACHED_CLIENTS) this.clients.delete(this.clients.keys().next().value!);
      handle = connectA2aClient(url, {
        policy: this.options.policy,
        ...(bearer !== undefined && bearer !== '' && { authorization: `Bearer ${bearer}` }),
        ...(this.deps.lookup !== undefined && { lookup: this.deps.lookup }),
        ...(this.deps.fetchImpl !== undefined && { fetchImpl: this.deps.fetchImpl }),
      });
      this.clients.set(cacheKey, handle);
      handle.catch(() => this.clients.delete(cacheKey));
    }
    return handle;
  }
}

function isTask(result: Message | Task): result is Task {
  return 'status' in result && 'artifacts' in result;
}

function isSettled(task: Task): boolean {
  const state = task.status?.state ?? TaskState.TASK_STATE_UNSPECIFIED;
  return isTerminalTaskState(state) || isInterruptedTaskState(state);
}
