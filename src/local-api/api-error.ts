// Errors of the local API in the reference's shapes (local-API spec §2): JSON
// `{"error": {"code", "message"}}` from route code, and the framework's plain-text or empty
// answers for bad content types (415), malformed JSON (400), wrong JSON types (422), unknown
// paths (404) and methods (405). Routes throw ApiError; the server renders it.

import { GatewayError } from '../protocol/errors.js';

export type ApiErrorCode =
  | 'invalid_request'
  | 'invalid_address'
  | 'not_found'
  | 'not_reachable'
  | 'delivery_timeout'
  | 'message_too_large'
  | 'invalid_config'
  | 'invalid_passphrase'
  | 'a2a_send_failed'
  | 'internal_error';

export class ApiError extends GatewayError {
  constructor(
    readonly status: number,
    code: ApiErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/** A framework-level refusal: plain text body (or empty), like axum's extractors. */
export class PlainHttpError extends GatewayError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(`http_${status}`, message);
  }
}

export function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}
