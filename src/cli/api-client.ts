// A small client for the daemon's local HTTP API (local-API spec §1-§3) over fetch: JSON in and
// out, a deadline per request, and the API's error shapes (`{"error": {code, message}}` or the
// framework's plain text) turned into CliErrors with the matching exit code. It never starts or
// finds daemons: running-daemon.ts gives it the URL.

import { CliError, EXIT_TIMEOUT, exitCodeForApiCode, notRunningError } from './exit-codes.js';

/** Default deadline of one request to the local API. */
export const API_REQUEST_TIMEOUT_MS = 10_000;

export interface ApiRequestOptions {
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Sent as JSON with `Content-Type: application/json` (the API requires it, spec §1). */
  readonly body?: unknown;
  /** @default API_REQUEST_TIMEOUT_MS */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface ApiResponse {
  readonly status: number;
  /** Parsed body when it is JSON; undefined for an empty body. */
  readonly json: unknown;
  readonly text: string;
}

/** A non-2xx answer from the API; `code` is the API's error code (or `http_<status>`). */
export class ApiRequestError extends CliError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, message, exitCodeForApiCode(code));
  }
}

export class ApiClient {
  constructor(readonly baseUrl: string) {}

  async request(method: string, path: string, options: ApiRequestOptions = {}): Promise<ApiResponse> {
    const url = new URL(path, this.baseUrl);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const timeoutMs = options.timeoutMs ?? API_REQUEST_TIMEOUT_MS;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = options.signal ? AbortSignal.any([deadline, options.signal]) : deadline;
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, {
        method,
        signal,
        ...(options.body !== undefined && { body: JSON.stringify(options.body), headers: { 'content-type': 'application/json' } }),
      });
      text = await response.text();
    } catch (err) {
      if (deadline.aborted) throw new CliError('timeout', `the daemon did not answer ${method} ${path} within ${timeoutMs / 1000} s`, EXIT_TIMEOUT, { cause: err });
      if (isConnectionRefused(err)) throw notRunningError(`nothing answers at ${this.baseUrl}`);
      throw new CliError('api_unavailable', `cannot reach the local API at ${this.baseUrl}: ${describeFetchError(err)}`, 1, { cause: err });
    }
    const json = parseBody(text, response.headers.get('content-type'));
    if (!response.ok) throw toApiError(response.status, json, text);
    return { status: response.status, json, text };
  }

  /** GET and return the JSON body. */
  async get<T = Record<string, unknown>>(path: string, options: ApiRequestOptions = {}): Promise<T> {
    return (await this.request('GET', path, options)).json as T;
  }

  async post<T = Record<string, unknown>>(path: string, body: unknown = {}, options: ApiRequestOptions = {}): Promise<T> {
    return (await this.request('POST', path, { ...options, body })).json as T;
  }

  async delete<T = Record<string, unknown>>(path: string, body?: unknown, options: ApiRequestOptions = {}): Promise<T> {
    return (await this.request('DELETE', path, { ...options, ...(body !== undefined && { body }) })).json as T;
  }

  async patch<T = Record<string, unknown>>(path: string, body: unknown, options: ApiRequestOptions = {}): Promise<T> {
    return (await this.request('PATCH', path, { ...options, body })).json as T;
  }
}

function parseBody(text: string, contentType: string | null): unknown {
  if (text.length === 0) return undefined;
  if (contentType !== null && !contentType.includes('json')) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    // A body that claims JSON but is not: callers see `text` only.
    return undefined;
  }
}

/** The API's JSON error (spec §2), or the framework's plain text as `HTTP <status>: <body>` (like the SDKs). */
function toApiError(status: number, json: unknown, text: string): ApiRequestError {
  const error = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)['error'] : undefined;
  if (typeof error === 'object' && error !== null) {
    const { code, message } = error as Record<string, unknown>;
    if (typeof code === 'string' && typeof message === 'string') return new ApiRequestError(status, code, message);
  }
  return new ApiRequestError(status, `http_${status}`, `HTTP ${status}: ${text.trim() || '(empty body)'}`);
}

function isConnectionRefused(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if ((e as NodeJS.ErrnoException).code === 'ECONNREFUSED') return true;
    // undici wraps several attempts (IPv4/IPv6) in an AggregateError.
    if (e instanceof AggregateError && e.errors.some(isConnectionRefused)) return true;
  }
  return false;
}

function describeFetchError(err: unknown): string {
  const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}
