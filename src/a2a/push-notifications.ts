// Push-notification delivery (a2a-notes §11, DESIGN §8): the PushNotificationSender the SDK's
// request handler calls on every task event, in place of its DefaultPushNotificationSender
// (single attempt, unfiltered fetch: a2a-notes §13). Each registered webhook gets the event in
// the wire shape it registered over (v1.0 StreamResponse, or the v0.3 object via the SDK's
// compat serializer), with the caller's credentials the way the SDK sends them, through the
// SSRF guard (the URL is checked when connecting, never at registration), under a per-attempt
// timeout, retried a few times with backoff on 5xx and network failures only. Also the card
// tweak that declares the capability. Knows nothing of toq; never throws into the SDK.

import type { Logger } from 'pino';
import type { AgentCard, StreamResponse, Task, TaskPushNotificationConfig } from '@a2a-js/sdk';
import { V03PushNotificationSerializer } from '@a2a-js/sdk/compat/v0_3/server';
import { V1PushNotificationSerializer, type PushNotificationSender, type PushNotificationSerializer, type PushNotificationStore, type ServerCallContext, type StoredPushNotificationConfig } from '@a2a-js/sdk/server';
import { GatewayError } from '../protocol/errors.js';
import { taskIdOf } from './durable-answers.js';
import { createGuardedFetch, type HostLookup, type OutboundUrlPolicy } from './outbound-url-policy.js';

/** One delivery attempt's limit (a2a-notes §11 recommends 10-30 s). */
export const PUSH_DELIVERY_TIMEOUT_MS = 10_000;
/** Attempts per webhook and event, the first included. */
export const PUSH_MAX_ATTEMPTS = 3;
/** Wait before the second attempt; doubled before each later one. */
export const PUSH_RETRY_DELAY_MS = 500;
/** The header the SDK puts a config's `token` in when the config has no `authentication` (v0.3's name). */
export const PUSH_TOKEN_HEADER = 'X-A2A-Notification-Token';

export interface PushDeliveryOptions {
  /** `a2a_webhook_allow_private`: whether webhooks may be private or loopback addresses. */
  readonly policy: OutboundUrlPolicy;
  /** Per attempt, connection to response headers. @default PUSH_DELIVERY_TIMEOUT_MS (10 s) */
  readonly timeoutMs?: number;
  /** @default PUSH_MAX_ATTEMPTS (3) */
  readonly maxAttempts?: number;
  /** @default PUSH_RETRY_DELAY_MS (500 ms) */
  readonly retryDelayMs?: number;
}

export interface PushDeliveryDeps {
  readonly log: Logger;
  /** Tests resolve names with it; default node:dns. */
  readonly lookup?: HostLookup;
  /** @default globalThis.fetch */
  readonly fetchImpl?: typeof fetch;
  /**
   * Holds each delivery until the task it shows is on disk (AnswerGatedTaskStore.answerable, for
   * a store whose saves resolve earlier); a rejection drops the delivery. @default none
   */
  readonly onDisk?: (taskId: string, context: ServerCallContext) => Promise<void>;
}

/** The card as given, declaring push notifications (only with a durable config store: a2a-notes §14.1). */
export function withPushNotifications(card: AgentCard): AgentCard {
  return { ...card, capabilities: card.capabilities === undefined ? undefined : { ...card.capabilities, pushNotifications: true } };
}

type AttemptOutcome = { readonly kind: 'delivered'; readonly status: number } | { readonly kind: 'final' | 'retry'; readonly reason: string };

export class GuardedPushNotificationSender implements PushNotificationSender {
  readonly #store: PushNotificationStore;
  readonly #log: Logger;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #maxAttempts: number;
  readonly #retryDelayMs: number;
  readonly #serializers: ReadonlyMap<string, PushNotificationSerializer> = new Map<string, PushNotificationSerializer>([
    ['1.0', new V1PushNotificationSerializer()],
    ['0.3', new V03PushNotificationSerializer()],
  ]);
  /** Per task, the deliveries in flight: events of one task reach a webhook in the order they happened. */
  readonly #chains = new Map<string, Promise<void>>();
  readonly #shutdown = new AbortController();
  readonly #onDisk: PushDeliveryDeps['onDisk'];

  constructor(store: PushNotificationStore, options: PushDeliveryOptions, deps: PushDeliveryDeps) {
    this.#store = store;
    this.#log = deps.log;
    this.#onDisk = deps.onDisk;
    this.#timeoutMs = options.timeoutMs ?? PUSH_DELIVERY_TIMEOUT_MS;
    this.#maxAttempts = options.maxAttempts ?? PUSH_MAX_ATTEMPTS;
    this.#retryDelayMs = options.retryDelayMs ?? PUSH_RETRY_DELAY_MS;
    if (!(this.#timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${this.#timeoutMs}`);
    if (!Number.isInteger(this.#maxAttempts) || this.#maxAttempts < 1) throw new RangeError(`maxAttempts must be an integer >= 1, got ${this.#maxAttempts}`);
    if (!(this.#retryDelayMs >= 0)) throw new RangeError(`retryDelayMs must be >= 0, got ${this.#retryDelayMs}`);
    this.#fetch = createGuardedFetch({ policy: options.policy, ...(deps.lookup !== undefined && { lookup: deps.lookup }), ...(deps.fetchImpl !== undefined && { fetchImpl: deps.fetchImpl }) });
  }

  /** Delivers the event to every webhook registered on its task; resolves when all are done (never rejects). */
  send(streamResponse: StreamResponse, context: ServerCallContext, task?: Task): Promise<void> {
    const taskId = taskIdOf(streamResponse);
    // A stand-alone message belongs to no task, so no config can name it.
    if (taskId === '' || this.#shutdown.signal.aborted) return Promise.resolve();
    const key = `${context.tenant ?? ''}\u0000${taskId}`;
    const previous = this.#chains.get(key) ?? Promise.resolve();
    const next = previous.then(() => this.#deliverAll(streamResponse, context, taskId, task));
    this.#chains.set(key, next);
    return next.finally(() => {
      if (this.#chains.get(key) === next) this.#chains.delete(key);
    });
  }

  /** Stops retries and aborts attempts in flight (daemon shutdown); resolves when they have ended. */
  async close(): Promise<void> {
    this.#shutdown.abort();
    await Promise.all([...this.#chains.values()]);
  }

  async #deliverAll(streamResponse: StreamResponse, context: ServerCallContext, taskId: string, task: Task | undefined): Promise<void> {
    let stored: StoredPushNotificationConfig[];
    try {
      stored = this.#store.loadWithMetadata !== undefined ? await this.#store.loadWithMetadata(taskId, context) : (await this.#store.load(taskId, context)).map((config) => ({ config, wireVersion: context.requestedVersion ?? '0.3' }));
    } catch (err) {
      this.#log.error({ err, taskId }, 'push notification configs could not be loaded');
      return;
    }
    if (stored.length === 0) return;
    if (this.#onDisk !== undefined) {
      try {
        await this.#onDisk(taskId, context);
      } catch (err) {
        this.#log.error({ err, taskId }, 'push notification not sent: the task it shows was not stored');
        return;
      }
    }
    await Promise.all(stored.map((entry) => this.#deliver(streamResponse, entry, taskId, task)));
  }

  async #deliver(streamResponse: StreamResponse, entry: StoredPushNotificationConfig, taskId: string, task: Task | undefined): Promise<void> {
    const { config } = entry;
    const log = this.#log.child({ taskId, configId: config.id, event: streamResponse.payload?.$case });
    let request: { body: string; headers: Record<string, string> };
    try {
      // Each webhook gets the shape it registered over; an unknown version gets v1.0.
      const serializer = this.#serializers.get(entry.wireVersion) ?? this.#serializers.get('1.0')!;
      const { body, contentType } = serializer.serialize(streamResponse, task);
      request = { body, headers: { 'content-type': contentType, ...authHeaders(config) } };
    } catch (err) {
      log.error({ err }, 'push notification could not be serialized');
      return;
    }
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(config.url, request);
      if (outcome.kind === 'delivered') {
        log.debug({ status: outcome.status, attempt }, 'push notification delivered');
        return;
      }
      if (outcome.kind === 'final' || attempt >= this.#maxAttempts || this.#shutdown.signal.aborted) {
        // The URL is the caller's; its query may carry secrets, so only the origin is logged.
        log.warn({ webhook: originOf(config.url), attempt, reason: outcome.reason }, outcome.kind === 'final' ? 'push notification refused' : 'push notification given up');
        return;
      }
      log.debug({ attempt, reason: outcome.reason }, 'push notification attempt failed; retrying');
      if (!(await this.#wait(this.#retryDelayMs * 2 ** (attempt - 1)))) return;
    }
  }

  async #attempt(url: string, request: { body: string; headers: Record<string, string> }): Promise<AttemptOutcome> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.#timeoutMs), this.#shutdown.signal]);
    try {
      const response = await this.#fetch(url, { method: 'POST', headers: request.headers, body: request.body, signal });
      // The body is not ours to read; drop it so the connection can be reused.
      await response.body?.cancel().catch(() => undefined);
      if (response.ok) return { kind: 'delivered', status: response.status };
      // 4xx: the receiver said no; sending the same request again would not change its mind.
      return { kind: response.status >= 500 ? 'retry' : 'final', reason: `HTTP ${response.status}` };
    } catch (err) {
      // The SSRF policy (DESIGN §8) and a URL that does not parse are final; anything else is the network.
      if (err instanceof GatewayError && err.code === 'a2a_target_refused') return { kind: 'final', reason: err.message };
      if (err instanceof TypeError && err.message.includes('Invalid URL')) return { kind: 'final', reason: 'webhook URL does not parse' };
      if (signal.aborted && !this.#shutdown.signal.aborted) return { kind: 'retry', reason: `no answer within ${this.#timeoutMs} ms` };
      return { kind: 'retry', reason: err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err) };
    }
  }

  /** false when the sender closed during the wait. */
  #wait(ms: number): Promise<boolean> {
    const shutdown = this.#shutdown.signal;
    if (shutdown.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        clearTimeout(timer);
        resolve(false);
      };
      const timer = setTimeout(() => {
        shutdown.removeEventListener('abort', onAbort);
        resolve(true);
      }, ms);
      shutdown.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/**
 * What the SDK's sender sends (a2a-notes §11): `authentication` → `Authorization: <scheme>
 * <credentials>`; else a `token` → the v0.3 token header.
 */
function authHeaders(config: TaskPushNotificationConfig): Record<string, string> {
  const auth = config.authentication;
  if (auth !== undefined && auth.scheme !== '' && auth.credentials !== '') return { authorization: `${auth.scheme} ${auth.credentials}` };
  if (config.token !== '') return { [PUSH_TOKEN_HEADER]: config.token };
  return {};
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    // Not a URL at all: say so rather than echo it.
    return '<invalid url>';
  }
}
