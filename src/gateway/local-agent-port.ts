// What the A2A bridge needs from the daemon to reach the local agent (DESIGN §3: handlers, SDK
// listeners, history). The daemon implements it; the bridge never sees the store, the handler
// runner or the SSE bus themselves.

import type { JsonValue } from '../protocol/json-value.js';
import type { ToqIncomingMessage } from './translate/a2a-message.js';

export interface LocalAgentPort {
  /** The local agent's name (the A2A tenant, and the name in "no handler or listener for agent X"). */
  readonly agentName: string;
  /** Would the message reach anyone: an enabled handler that matches it, or a connected SSE listener. */
  hasReceiver(message: ToqIncomingMessage): boolean;
  /** Commits the message to history; resolves once it is durable. */
  commit(message: ToqIncomingMessage): Promise<void>;
  /** Hands the committed message to the handlers and the SSE listeners. */
  deliver(message: ToqIncomingMessage): void;
}

/** A POST /v1/messages body as far as the reply channel reads it (local-API spec §3.1 step 1). */
export interface ReplyRequest {
  readonly thread_id?: string;
  readonly reply_to?: string;
  readonly body?: JsonValue;
  readonly close_thread: boolean;
}

/** The reference's answer to a reply handed to an A2A task. */
export interface ReplyAccepted {
  readonly id: string;
  readonly status: 'delivered';
  readonly thread_id: string;
  readonly timestamp: string;
}
