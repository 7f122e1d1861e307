// The JSON-RPC 2.0 envelope check that runs before the SDK sees a request (a2a-notes §5, §13):
// bad JSON is -32700 and a body that is not a request object is -32600, where the SDK answers
// -32602 for both. Params and methods are the SDK's business. Pure: text in, verdict out.

export const JSON_RPC_PARSE_ERROR = -32700;
export const JSON_RPC_INVALID_REQUEST = -32600;
export const JSON_RPC_METHOD_NOT_FOUND = -32601;
export const JSON_RPC_INVALID_PARAMS = -32602;

export type JsonRpcId = string | number | null;

export interface JsonRpcErrorResponse {
  readonly jsonrpc: '2.0';
  readonly id: JsonRpcId;
  readonly error: { readonly code: number; readonly message: string };
}

/** A request object that passed the envelope rules; everything else is untouched. */
export interface JsonRpcRequestObject {
  readonly jsonrpc: '2.0';
  readonly method: string;
  readonly id?: JsonRpcId;
  readonly params?: unknown;
  readonly [key: string]: unknown;
}

export type JsonRpcEnvelopeCheck = { readonly ok: true; readonly request: JsonRpcRequestObject } | { readonly ok: false; readonly response: JsonRpcErrorResponse };

/**
 * Parses and checks one JSON-RPC request (JSON-RPC 2.0 §4, §5.1): `jsonrpc` exactly "2.0", a
 * non-empty string `method`, an `id` (if present) that is a string, an integer or null. A batch
 * (array) is refused as one invalid request: no A2A method is meant to be batched. The answer's
 * `id` is the request's when it could be read, else null (§5).
 */
export function checkJsonRpcEnvelope(text: string): JsonRpcEnvelopeCheck {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return invalid(null, JSON_RPC_PARSE_ERROR, `Parse error: ${(err as Error).message}`);
  }
  if (Array.isArray(value)) return invalid(null, JSON_RPC_INVALID_REQUEST, 'Invalid Request: batch requests are not supported');
  if (typeof value !== 'object' || value === null) return invalid(null, JSON_RPC_INVALID_REQUEST, 'Invalid Request: not a JSON object');
  const request = value as Record<string, unknown>;
  const hasId = Object.hasOwn(request, 'id');
  const id = request['id'];
  if (hasId && !isValidId(id)) return invalid(null, JSON_RPC_INVALID_REQUEST, 'Invalid Request: id must be a string, an integer or null');
  const echoedId = hasId ? (id as JsonRpcId) : null;
  if (request['jsonrpc'] !== '2.0') return invalid(echoedId, JSON_RPC_INVALID_REQUEST, 'Invalid Request: jsonrpc must be "2.0"');
  const method = request['method'];
  if (typeof method !== 'string' || method === '') return invalid(echoedId, JSON_RPC_INVALID_REQUEST, 'Invalid Request: method must be a non-empty string');
  return { ok: true, request: request as JsonRpcRequestObject };
}

function isValidId(id: unknown): boolean {
  return id === null || typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id));
}

function invalid(id: JsonRpcId, code: number, message: string): JsonRpcEnvelopeCheck {
  return { ok: false, response: { jsonrpc: '2.0', id, error: { code, message } } };
}
