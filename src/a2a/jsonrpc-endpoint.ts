// The JSON-RPC binding on bare node:http (DESIGN §6: express would halve the throughput of this
// hot path): body under a cap, our envelope check (-32700/-32600, jsonrpc-envelope.ts), version
// routing (A2A-Version normalised; absent = 0.3 → the SDK's v0.3 compat handler, 1.0 → the v1.0
// handler, anything else → -32009), then the SDK's transport handler; streaming answers go out as
// SSE once the first event exists. Authentication happened before (a2a-http-handler.ts).
// All JSON-RPC errors use HTTP 200, as in the reference (local-API spec §9.3).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { Extensions, HTTP_EXTENSION_HEADER, formatSSEErrorEvent, formatSSEEvent } from '@a2a-js/sdk';
import { LEGACY_HTTP_EXTENSION_HEADER } from '@a2a-js/sdk/compat/v0_3';
import { LegacyJsonRpcTransportHandler } from '@a2a-js/sdk/compat/v0_3/server';
import { ContentTypeNotSupportedError } from '@a2a-js/sdk/errors';
import { JsonRpcTransportHandler, validateVersion, type A2ARequestHandler, type User } from '@a2a-js/sdk/server';
import { LEGACY_A2A_VERSION, requestedA2aVersion } from './a2a-version.js';
import { AgentCallContext } from './call-context.js';
import { checkJsonRpcEnvelope, type JsonRpcId } from './jsonrpc-envelope.js';
import { startSse, writeSse } from './sse-writer.js';

/** Largest JSON-RPC request body accepted (files travel inline as base64 parts). */
export const MAX_JSON_RPC_BODY_BYTES = 4 * 1024 * 1024;

export interface JsonRpcEndpointOptions {
  readonly requestHandler: A2ARequestHandler;
  /** The tenant of every call (one per agent). */
  readonly tenant: string;
  /** @default MAX_JSON_RPC_BODY_BYTES */
  readonly maxBodyBytes?: number;
}

export type JsonRpcEndpoint = (req: IncomingMessage, res: ServerResponse, url: URL, user: User) => void;

export function createJsonRpcEndpoint(options: JsonRpcEndpointOptions, log: Logger): JsonRpcEndpoint {
  const v1 = new JsonRpcTransportHandler(options.requestHandler);
  const v03 = new LegacyJsonRpcTransportHandler(options.requestHandler);
  const maxBodyBytes = options.maxBodyBytes ?? MAX_JSON_RPC_BODY_BYTES;

  return (req, res, url, user) => {
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST', 'content-length': 0 }).end();
      return;
    }
    handle(req, res, url, user).catch((err: unknown) => {
      log.error({ err }, 'JSON-RPC request failed');
      if (!res.headersSent) sendJson(res, { jsonrpc: '2.0', id: null, error: { code: -32603, message: 'Internal error' } });
      else res.destroy();
    });
  };

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, user: User): Promise<void> {
    const version = requestedA2aVersion(req.headers['a2a-version'], url.searchParams);
    const isLegacy = version === LEGACY_A2A_VERSION;
    const mapError = isLegacy ? LegacyJsonRpcTransportHandler.mapToLegacyJSONRPCError : JsonRpcTransportHandler.mapToJSONRPCError;

    const contentType = req.headers['content-type'];
    if (contentType !== undefined && contentType.split(';', 1)[0]!.trim().toLowerCase() !== 'application/json') {
      req.resume();
      sendJson(res, { jsonrpc: '2.0', id: null, error: mapError(new ContentTypeNotSupportedError(`Unsupported Content-Type "${contentType}"; expected application/json.`)) });
      return;
    }
    const text = await readText(req, maxBodyBytes);
    if (text === undefined) {
      res.writeHead(413, { 'content-length': 0, connection: 'close' }).end();
      return;
    }
    const checked = checkJsonRpcEnvelope(text);
    if (!checked.ok) {
      sendJson(res, checked.response);
      return;
    }
    const request = checked.request;
    const id: JsonRpcId = request.id ?? null;
    const extensionsHeader = isLegacy ? (header(req, LEGACY_HTTP_EXTENSION_HEADER) ?? header(req, HTTP_EXTENSION_HEADER)) : header(req, HTTP_EXTENSION_HEADER);
    const context = new AgentCallContext(options.tenant, { user, requestedVersion: version, extensions: Extensions.parseServiceParameter(extensionsHeader), headers: req.headers });
    try {
      validateVersion(version, await options.requestHandler.getAgentCard(), 'JSONRPC');
    } catch (err) {
      sendJson(res, { jsonrpc: '2.0', id, error: mapError(err) });
      return;
    }
    const outcome = await (isLegacy ? v03 : v1).handle(request, context);
    const extraHeaders: Record<string, string> = {};
    if (context.activatedExtensions !== undefined && context.activatedExtensions.length > 0) {
      extraHeaders[isLegacy ? LEGACY_HTTP_EXTENSION_HEADER : HTTP_EXTENSION_HEADER] = Extensions.toServiceParameter(context.activatedExtensions);
    }
    if (!isAsyncIterable(outcome)) {
      sendJson(res, outcome, extraHeaders);
      return;
    }
    await stream(res, outcome, id, mapError, extraHeaders, isLegacy && request.method === 'tasks/resubscribe');
  }

  async function stream(res: ServerResponse, events: AsyncIterable<unknown>, id: JsonRpcId, mapError: (err: unknown) => unknown, headers: Record<string, string>, isAlwaysSse: boolean): Promise<void> {
    const iterator = events[Symbol.asyncIterator]();
    let first: IteratorResult<unknown>;
    try {
      first = await iterator.next();
    } catch (err) {
      // v0.3 tasks/resubscribe clients expect a stream even for an early error (the SDK does the same).
      if (isAlwaysSse) {
        startSse(res, headers);
        res.end(formatSSEErrorEvent({ jsonrpc: '2.0', id, error: mapError(err) }));
        return;
      }
      sendJson(res, { jsonrpc: '2.0', id, error: mapError(err) }, headers);
      return;
    }
    startSse(res, headers);
    let isClientGone = false;
    // Ending the SDK's generator stops its event queue; the task itself goes on.
    const release = (): void => void iterator.return?.(undefined).catch(() => undefined);
    const onClose = (): void => {
      isClientGone = true;
      release();
    };
    res.once('close', onClose);
    try {
      for (let next = first; !next.done; next = await iterator.next()) {
        if (!(await writeSse(res, formatSSEEvent(next.value)))) break;
      }
    } catch (err) {
      if (!isClientGone) await writeSse(res, formatSSEErrorEvent({ jsonrpc: '2.0', id, error: mapError(err) }));
    } finally {
      res.off('close', onClose);
      release();
      if (!res.writableEnded) res.end();
    }
  }
}

function sendJson(res: ServerResponse, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v.join(',') : v;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function';
}

/** The body as UTF-8 text, or undefined when it exceeds `max` (checked before buffering more). */
async function readText(req: IncomingMessage, max: number): Promise<string | undefined> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(declared) && declared > max) {
    req.resume();
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      req.resume();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}
