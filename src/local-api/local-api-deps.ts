// What the local API needs from the daemon: one facade, implemented by the composition root.
// Route code validates HTTP input and renders answers; everything with state lives behind this.

import type { JsonObject, JsonValue } from '../protocol/json-value.js';
import type { PolicyEngine } from '../protocol/policy.js';

/** The SSE / history payload (local-API spec §4), keys in the reference's order. */
export interface IncomingMessageJson {
  readonly id: string;
  readonly type: string;
  readonly from: string;
  readonly body?: JsonValue;
  readonly thread_id?: string;
  readonly reply_to?: string;
  readonly content_type?: string;
  readonly timestamp: string;
}

export interface SendRequest {
  readonly to: string | readonly string[];
  readonly body?: JsonValue;
  readonly thread_id?: string;
  readonly reply_to?: string;
  readonly content_type?: string;
  readonly close_thread: boolean;
  readonly a2a_auth?: string;
}

export interface SingleSendResult {
  readonly id: string;
  readonly status: 'queued' | 'delivered';
  readonly thread_id: string;
  readonly timestamp: string;
}

export interface MultiSendResult {
  readonly results: ReadonlyArray<{ to: string; id: string; thread_id: string; status: 'queued' | 'failed'; error?: string }>;
  readonly timestamp: string;
}

export interface MessageFilter {
  readonly from?: string;
  readonly type?: string;
}

export interface LocalApiDeps {
  readonly messages: {
    /** Single send: commits, then waits for the ack when `wait`. Throws ApiError (not_reachable, delivery_timeout, ...). */
    sendOne(request: SendRequest & { to: string }, options: { wait: boolean; timeoutMs: number }): Promise<SingleSendResult>;
    sendMany(request: SendRequest & { to: readonly string[] }): Promise<MultiSendResult>;
    /** The A2A reply channel: the answer when `thread_id` is an A2A thread, else undefined (send normally). */
    replyToA2a?(request: SendRequest): Promise<SingleSendResult | undefined>;
    /** A2A outbound (`to` an http(s) URL, local-API spec §9.4); throws ApiError (502 a2a_send_failed). */
    sendA2a?(request: SendRequest & { to: string }): Promise<JsonObject>;
    /**
     * Incoming messages, oldest first. `agent` (ours, not the reference's) names a hosted agent
     * whose records to read; omitted = the local agent. Throws ApiError(404) for an unknown agent.
     */
    history(query: { limit?: number; from?: string; since?: string; agent?: string }): IncomingMessageJson[];
    /** Incoming messages of one thread, oldest first (the reference always answers an empty list); `agent` as for history. */
    thread(threadId: string, agent?: string): IncomingMessageJson[];
    /** Live messages (incoming and our own sends); returns the unsubscribe function. */
    subscribe(filter: MessageFilter, listener: (message: IncomingMessageJson) => void): () => void;
  };
  readonly streams: {
    start(to: string, threadId?: string): Promise<{ stream_id: string; thread_id: string }>;
    chunk(streamId: string, text: string): Promise<{ chunk_id: string }>;
    end(streamId: string, text: string | undefined, closeThread: boolean): Promise<{ chunk_id: string }>;
  };
  readonly outbox: {
    /** Newest first; `agent` keeps one agent's entries (404 ApiError when unknown). */
    list(query: { status?: string; limit?: number; agent?: string }): JsonObject[];
    retry(id: string): boolean;
    cancel(id: string): boolean;
  };
  readonly policy: PolicyEngine;
  /** Called after every permission change (writes permissions.toml / the store). */
  persistPolicy(): void;
  peers(): JsonObject[];
  ping(address: string): Promise<JsonObject>;
  discover(host: string): Promise<JsonObject[]>;
  connections(): JsonObject[];
  status(): JsonObject;
  shutdown(): void;
  logs(): JsonObject[];
  clearLogs(): void;
  diagnostics(): JsonObject;
  upgradeCheck(): JsonObject;
  rotateKeys(): Promise<JsonObject>;
  backupExport(passphrase: string): Promise<string>;
  backupImport(passphrase: string, data: string): Promise<void>;
  config(): JsonObject;
  /** Throws ApiError(400, invalid_config) for a bad patch. */
  patchConfig(patch: JsonObject): JsonObject;
  card(): JsonObject;
  /** Max body size for sends, from the live config (`max_message_size`). */
  maxMessageSize(): number;
  readonly handlers: {
    list(): JsonObject[];
    /** Throws ApiError (400 / 409). */
    add(spec: JsonObject): JsonObject;
    update(name: string, patch: JsonObject): JsonObject | undefined;
    remove(name: string): boolean;
    reload(): void;
    stop(name: string, pid?: number): number;
  };
}
