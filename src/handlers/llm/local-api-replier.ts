// How an LLM handler's reply leaves (local-API spec §5.3): the reference POSTs it to its own local
// API, TOQ_URL/v1/messages?wait=true, like any handler script would. This module makes that call
// and nothing else; the daemon may inject a direct function instead.

import { GatewayError } from '../../protocol/errors.js';
import { redactText } from './redact.js';

/** The server side waits up to 30 s for the peer's ack (`wait=true`); allow a little more. */
export const REPLY_TIMEOUT_MS = 35_000;

export interface LlmReply {
  /** The original sender (`from`), or `a2a-client` for A2A requests. */
  readonly to: string;
  readonly text: string;
  readonly threadId: string;
  /** Send as thread.close. */
  readonly closeThread: boolean;
}

export type ReplyFn = (reply: LlmReply, options?: { signal?: AbortSignal | undefined }) => Promise<void>;

/** The reply could not be sent; `status` is the local API's HTTP status when it answered. */
export class ReplyError extends GatewayError {
  readonly status: number | undefined;
  constructor(message: string, options?: { status?: number; cause?: unknown }) {
    super('reply_failed', redactText(message), options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = options?.status;
  }
}

export interface LocalApiReplierOptions {
  /** @default REPLY_TIMEOUT_MS (35000) */
  timeoutMs?: number | undefined;
  /** @default globalThis.fetch */
  fetch?: typeof fetch | undefined;
}

/** The request body the reference sends: `{to, body: {text}, thread_id, close_thread?: true}`. */
export function replyRequestBody(reply: LlmReply): Record<string, unknown> {
  const body: Record<string, unknown> = { to: reply.to, body: { text: reply.text }, thread_id: reply.threadId };
  if (reply.closeThread) body['close_thread'] = true;
  return body;
}

/** A ReplyFn that POSTs to `<toqUrl>/v1/messages?wait=true`; non-2xx answers are ReplyErrors. */
export function createLocalApiReplier(toqUrl: string, options: LocalApiReplierOptions = {}): ReplyFn {
  const url = `${toqUrl.replace(/\/+$/, '')}/v1/messages?wait=true`;
  const timeoutMs = options.timeoutMs ?? REPLY_TIMEOUT_MS;
  const doFetch = options.fetch ?? fetch;
  return async (reply, callOptions) => {
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = callOptions?.signal === undefined ? timeout : AbortSignal.any([timeout, callOptions.signal]);
    let res: Response;
    let text: string;
    try {
      res = await doFetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(replyRequestBody(reply)), signal });
      text = await res.text();
    } catch (err) {
      const reason = timeout.aborted ? `no answer within ${timeoutMs} ms` : err instanceof Error ? err.message : String(err);
      throw new ReplyError(`reply to ${url} failed: ${reason}`, { cause: err });
    }
    if (!res.ok) throw new ReplyError(`reply failed: HTTP ${res.status}: ${text.slice(0, 300)}`, { status: res.status });
  };
}
