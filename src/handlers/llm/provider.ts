// What every LLM provider adapter shares (local-API spec §5.3): the request/response types, the
// close_thread tool, the error class and one JSON-over-fetch helper with a timeout. It knows no
// provider's wire format and never logs.

import { GatewayError } from '../../protocol/errors.js';
import { redactText } from './redact.js';

/** Time allowed for one provider call, headers and body. The reference has no limit. */
export const LLM_CALL_TIMEOUT_MS = 120_000;
/** How much of an error response body goes into a ProviderError message. */
export const ERROR_EXCERPT_CHARS = 500;

export interface ChatMessage {
  readonly role: 'user' | 'assistant';
  readonly content: string;
}

/** A parameterless tool (the only kind the reference offers). */
export interface ToolSpec {
  readonly name: string;
  readonly description: string;
}

/** The reference's close_thread tool (llm/mod.rs). */
export const CLOSE_THREAD_TOOL: ToolSpec = Object.freeze({
  name: 'close_thread',
  description: 'End the conversation when it is naturally complete',
});

/** The JSON schema of a tool without parameters, as every provider receives it. */
export function emptyToolSchema(): { type: 'object'; properties: Record<string, never>; required: never[] } {
  return { type: 'object', properties: {}, required: [] };
}

export interface CompletionRequest {
  readonly model: string;
  readonly system: string;
  readonly messages: readonly ChatMessage[];
  /** Offered tools; empty means the request carries no tool definitions. */
  readonly tools: readonly ToolSpec[];
  readonly signal?: AbortSignal | undefined;
}

export interface Completion {
  /** The model's text (concatenated text blocks); "" when it only called a tool. */
  readonly text: string;
  /** The model called close_thread. */
  readonly closeThread: boolean;
}

export type CompleteFn = (request: CompletionRequest) => Promise<Completion>;

/** Options shared by the HTTP adapters. */
export interface ProviderHttpOptions {
  /** Scheme, host and port to call instead of the provider's own (tests, proxies). */
  baseUrl?: string | undefined;
  /** @default LLM_CALL_TIMEOUT_MS (120000) */
  timeoutMs?: number | undefined;
  /** @default globalThis.fetch */
  fetch?: typeof fetch | undefined;
}

/**
 * A provider call failed. `code`: `provider_config` (missing key), `provider_timeout`,
 * `provider_unreachable` (network), `provider_http` (non-2xx; `status` set), `provider_response`
 * (unreadable answer), `provider_aborted`. Messages are redacted.
 */
export class ProviderError extends GatewayError {
  readonly provider: string;
  readonly status: number | undefined;
  constructor(provider: string, code: string, message: string, options?: { status?: number; cause?: unknown }) {
    super(code, redactText(message), options?.cause === undefined ? undefined : { cause: options.cause });
    this.provider = provider;
    this.status = options?.status;
  }
}

export interface PostJsonRequest {
  readonly provider: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Exact bytes to send (SigV4 signs them). */
  readonly body: string;
  readonly timeoutMs: number;
  readonly fetch: typeof fetch;
  readonly signal?: AbortSignal | undefined;
  /** Reads the provider's error text out of a JSON error body. */
  readonly errorMessage: (body: unknown) => string | undefined;
}

/** POSTs JSON and returns the parsed 2xx answer; every failure is a ProviderError. */
export async function postJson(req: PostJsonRequest): Promise<unknown> {
  const timeout = AbortSignal.timeout(req.timeoutMs);
  const signal = req.signal === undefined ? timeout : AbortSignal.any([timeout, req.signal]);
  let text: string;
  let status: number;
  try {
    const res = await req.fetch(req.url, { method: 'POST', headers: req.headers, body: req.body, signal });
    status = res.status;
    text = await res.text();
  } catch (err) {
    if (timeout.aborted) throw new ProviderError(req.provider, 'provider_timeout', `${req.provider} call did not finish within ${req.timeoutMs} ms`, { cause: err });
    if (req.signal?.aborted) throw new ProviderError(req.provider, 'provider_aborted', `${req.provider} call aborted`, { cause: err });
    const reason = err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    throw new ProviderError(req.provider, 'provider_unreachable', `${req.provider} request failed: ${reason}`, { cause: err });
  }
  let parsed: unknown;
  let isJson = true;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: an error page from a proxy, or garbage; reported below with an excerpt.
    isJson = false;
  }
  if (status < 200 || status > 299) {
    const detail = (isJson ? req.errorMessage(parsed) : undefined) ?? excerpt(text);
    throw new ProviderError(req.provider, 'provider_http', `${req.provider} API error: HTTP ${status}: ${detail}`, { status });
  }
  if (!isJson) throw new ProviderError(req.provider, 'provider_response', `${req.provider} response is not JSON: ${excerpt(text)}`, { status });
  return parsed;
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > ERROR_EXCERPT_CHARS ? `${flat.slice(0, ERROR_EXCERPT_CHARS)}...` : flat;
}

/** `value[key]` when value is a plain object, else undefined (for reading provider JSON). */
export function field(value: unknown, key: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}

/** `{"error": {"message": ...}}`, the OpenAI/Anthropic/Ollama error shape. */
export function nestedErrorMessage(body: unknown): string | undefined {
  const message = field(field(body, 'error'), 'message');
  return typeof message === 'string' ? message : undefined;
}
