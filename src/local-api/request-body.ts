// Reads a request body under a size cap and parses it losslessly (number lexemes kept, so a
// body we sign is signed exactly as the caller wrote it). Mirrors the reference's extractor
// rules: JSON routes need `Content-Type: application/json` (415 otherwise), malformed JSON is
// 400 and JSON of the wrong shape 422 (local-API spec §2).

import type { IncomingMessage } from 'node:http';
import { parseJson } from '../protocol/json-parse.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../protocol/json-value.js';
import { PlainHttpError } from './api-error.js';

/** axum's default body limit, which the reference runs with. */
export const MAX_REQUEST_BODY_BYTES = 2 * 1024 * 1024;

export async function readBody(req: IncomingMessage, maxBytes = MAX_REQUEST_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    throw new PlainHttpError(413, `Failed to buffer the request body: length limit exceeded`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new PlainHttpError(413, 'Failed to buffer the request body: length limit exceeded');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const mime = value.split(';')[0]!.trim().toLowerCase();
  return mime === 'application/json' || (mime.startsWith('application/') && mime.endsWith('+json'));
}

/** A JSON object body (the reference's `Json<T>` extractor). */
export async function readJsonObject(req: IncomingMessage): Promise<JsonObject> {
  if (!isJsonContentType(req.headers['content-type'])) {
    throw new PlainHttpError(415, 'Unsupported Media Type: expected request with `Content-Type: application/json`');
  }
  const bytes = await readBody(req);
  let value: JsonValue;
  try {
    value = parseJson(bytes);
  } catch (err) {
    throw new PlainHttpError(400, `Failed to parse the request body as JSON: ${(err as Error).message}`);
  }
  if (!isJsonObject(value)) throw new PlainHttpError(422, 'Failed to deserialize the JSON body into the target type: expected an object');
  return value;
}

/** Like readJsonObject, but an empty body (no content type) is an empty object. */
export async function readOptionalJsonObject(req: IncomingMessage): Promise<JsonObject> {
  const length = req.headers['content-length'];
  if ((length === undefined || length === '0') && req.headers['transfer-encoding'] === undefined) {
    await readBody(req);
    return Object.create(null) as JsonObject;
  }
  return readJsonObject(req);
}

/** Field readers that answer 422 like a typed extractor would. */
export function fieldString(body: JsonObject, key: string, required: true): string;
export function fieldString(body: JsonObject, key: string, required?: false): string | undefined;
export function fieldString(body: JsonObject, key: string, required = false): string | undefined {
  const v = Object.hasOwn(body, key) ? body[key] : undefined;
  if (v === undefined || v === null) {
    if (required) throw new PlainHttpError(422, `Failed to deserialize the JSON body into the target type: missing field \`${key}\``);
    return undefined;
  }
  if (typeof v !== 'string') throw new PlainHttpError(422, `Failed to deserialize the JSON body into the target type: ${key}: invalid type, expected a string`);
  return v;
}

export function fieldBoolean(body: JsonObject, key: string): boolean | undefined {
  const v = Object.hasOwn(body, key) ? body[key] : undefined;
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new PlainHttpError(422, `Failed to deserialize the JSON body into the target type: ${key}: invalid type, expected a boolean`);
  return v;
}
