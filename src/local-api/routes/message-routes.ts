// /v1/messages (send, SSE stream, history), /v1/stream/*, /v1/threads/* and our /v1/outbox
// (local-API spec §3.1-3.3, §4). Validation order and messages follow the reference. Our
// extension: `?agent=<name>` on history, threads and the outbox selects a hosted agent's records.

import { canonicalJson } from '../../protocol/canonical-json.js';
import { tryParseAddress } from '../../protocol/address.js';
import { isJsonObject, type JsonValue } from '../../protocol/json-value.js';
import { ApiError, PlainHttpError } from '../api-error.js';
import { toJsonText } from '../json-text.js';
import type { LocalApiDeps, SendRequest } from '../local-api-deps.js';
import { fieldBoolean, fieldString, readJsonObject } from '../request-body.js';
import type { RouteContext, Router } from '../router.js';

/** A comment line after this much silence keeps proxies and clients from timing out (§4). */
const SSE_KEEPALIVE_MS = 15_000;
/** Events queued for one slow SSE client before it is disconnected (it reconnects and reads history). */
const SSE_MAX_QUEUED_EVENTS = 1_024;

export function addMessageRoutes(router: Router, deps: LocalApiDeps): void {
  router.add('POST', '/v1/messages', async ({ req, query }) => {
    const wait = boolQuery(query, 'wait', false);
    const timeoutS = u32Query(query, 'timeout', 30);
    const body = await readJsonObject(req);
    const request = readSendRequest(body);
    // The reply channel (local-API spec §3.1 step 1): an A2A thread takes the reply, whatever `to` says.
    const a2aReply = request.thread_id === undefined ? undefined : await deps.messages.replyToA2a?.(request);
    if (a2aReply !== undefined) return { json: a2aReply };

    if (Array.isArray(request.to) && request.to.length === 0) {
      throw new ApiError(400, 'invalid_request', 'No recipients specified');
    }
    const single = typeof request.to === 'string' ? request.to : undefined;
    if (single !== undefined && /^https?:\/\//.test(single)) {
      // A2A outbound (local-API spec §9.4): a non-empty body.text is required.
      const text = isJsonObject(request.body) ? request.body['text'] : undefined;
      if (typeof text !== 'string' || text === '') throw new ApiError(400, 'invalid_request', 'A2A messages need a non-empty body.text');
      if (deps.messages.sendA2a === undefined) throw new ApiError(502, 'a2a_send_failed', 'A2A outbound is not available on this gateway');
      return { json: await deps.messages.sendA2a({ ...request, to: single }) };
    }
    for (const to of typeof request.to === 'string' ? [request.to] : request.to) {
      if (!tryParseAddress(to).ok) throw new ApiError(400, 'invalid_address', `Invalid toq address: ${to}`);
    }
    if (request.body !== undefined) {
      const size = Buffer.byteLength(canonicalJson(request.body), 'utf8');
      const max = deps.maxMessageSize();
      if (size > max) throw new ApiError(413, 'message_too_large', `Message body is ${size} bytes, max is ${max}`);
    }
    if (single !== undefined) {
      const result = await deps.messages.sendOne({ ...request, to: single }, { wait, timeoutMs: timeoutS * 1000 });
      return { status: result.status === 'queued' ? 202 : 200, json: result };
    }
    return { json: await deps.messages.sendMany({ ...request, to: request.to as readonly string[] }) };
  });

  router.add('GET', '/v1/messages', (ctx) => streamMessages(ctx, deps));

  router.add('GET', '/v1/messages/history', ({ query }) => {
    const limit = query.has('limit') ? u32Query(query, 'limit', 50) : undefined;
    const from = query.get('from') ?? undefined;
    const since = query.get('since') ?? undefined;
    // Ours: `agent` reads a hosted agent's records (DESIGN §3); without it, the reference's answer.
    const agent = agentQuery(query);
    return { json: { messages: deps.messages.history({ ...(limit !== undefined && { limit }), ...(from && { from }), ...(since && { since }), ...(agent !== undefined && { agent }) }) } };
  });

  router.add('GET', '/v1/threads/:id', ({ params, query }) => ({ json: { thread_id: params['id'], messages: deps.messages.thread(params['id']!, agentQuery(query)) } }));

  router.add('POST', '/v1/stream/start', async ({ req }) => {
    const body = await readJsonObject(req);
    const to = fieldString(body, 'to', true);
    const threadId = fieldString(body, 'thread_id');
    if (!tryParseAddress(to).ok) throw new ApiError(400, 'invalid_address', 'Invalid toq address');
    return { json: await deps.streams.start(to, threadId) };
  });

  router.add('POST', '/v1/stream/chunk', async ({ req }) => {
    const body = await readJsonObject(req);
    const streamId = fieldString(body, 'stream_id', true);
    const text = fieldString(body, 'text', true);
    return { json: await deps.streams.chunk(streamId, text) };
  });

  router.add('POST', '/v1/stream/end', async ({ req }) => {
    const body = await readJsonObject(req);
    const streamId = fieldString(body, 'stream_id', true);
    const text = fieldString(body, 'text');
    const closeThread = fieldBoolean(body, 'close_thread') ?? false;
    return { json: await deps.streams.end(streamId, text, closeThread) };
  });

  // Ours: the durable outbox (DESIGN §7). Not in the reference.
  router.add('GET', '/v1/outbox', ({ query }) => {
    const limit = query.has('limit') ? u32Query(query, 'limit', 100) : undefined;
    const status = query.get('status') ?? undefined;
    const agent = agentQuery(query);
    return { json: { entries: deps.outbox.list({ ...(status && { status }), ...(limit !== undefined && { limit }), ...(agent !== undefined && { agent }) }) } };
  });
  router.add('POST', '/v1/outbox/:id/retry', ({ params }) => {
    if (!deps.outbox.retry(params['id']!)) throw new ApiError(404, 'not_found', 'Outbox entry not found');
    return { json: { status: 'retrying', id: params['id'] } };
  });
  router.add('DELETE', '/v1/outbox/:id', ({ params }) => {
    if (!deps.outbox.cancel(params['id']!)) throw new ApiError(404, 'not_found', 'Outbox entry not found');
    return { json: { status: 'canceled', id: params['id'] } };
  });
}

function readSendRequest(body: Record<string, JsonValue>): SendRequest {
  const toValue = Object.hasOwn(body, 'to') ? body['to'] : undefined;
  let to: string | string[];
  if (typeof toValue === 'string') to = toValue;
  else if (Array.isArray(toValue) && toValue.every((t): t is string => typeof t === 'string')) to = toValue;
  else if (toValue === undefined || toValue === null) throw new PlainHttpError(422, 'Failed to deserialize the JSON body into the target type: missing field `to`');
  else throw new PlainHttpError(422, 'Failed to deserialize the JSON body into the target type: to: expected a string or a list of strings');
  const bodyValue = Object.hasOwn(body, 'body') ? body['body'] : undefined;
  const threadId = fieldString(body, 'thread_id');
  const replyTo = fieldString(body, 'reply_to');
  const contentType = fieldString(body, 'content_type');
  const a2aAuth = fieldString(body, 'a2a_auth');
  return {
    to,
    ...(bodyValue !== undefined && bodyValue !== null && { body: bodyValue }),
    ...(threadId !== undefined && { thread_id: threadId }),
    ...(replyTo !== undefined && { reply_to: replyTo }),
    ...(contentType !== undefined && { content_type: contentType }),
    close_thread: fieldBoolean(body, 'close_thread') ?? false,
    ...(a2aAuth !== undefined && { a2a_auth: a2aAuth }),
  };
}

/** SSE: `data: <json>\n\n` per message, `:\n\n` keep-alives; a client that falls too far behind is dropped. */
function streamMessages({ req, res, query }: RouteContext, deps: LocalApiDeps): { streamed: true } {
  const from = query.get('from') ?? undefined;
  const type = query.get('type') ?? undefined;
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  res.flushHeaders();
  let queued = 0;
  let keepalive = setTimeout(ping, SSE_KEEPALIVE_MS);
  function ping(): void {
    res.write(':\n\n');
    keepalive = setTimeout(ping, SSE_KEEPALIVE_MS);
  }
  const unsubscribe = deps.messages.subscribe({ ...(from && { from }), ...(type && { type }) }, (message) => {
    if (queued >= SSE_MAX_QUEUED_EVENTS) {
      // Better a clean disconnect (the client reconnects and catches up from history) than
      // silently dropped events, which is what the reference's broadcast channel does.
      res.destroy();
      return;
    }
    clearTimeout(keepalive);
    keepalive = setTimeout(ping, SSE_KEEPALIVE_MS);
    const ok = res.write(`data: ${toJsonText(message)}\n\n`);
    if (!ok) {
      queued += 1;
      res.once('drain', () => (queued = 0));
    }
  });
  const stop = (): void => {
    clearTimeout(keepalive);
    unsubscribe();
  };
  req.on('close', stop);
  res.on('close', stop);
  return { streamed: true };
}

/** `?agent=<name>`: undefined when absent; an empty value is refused rather than read as "everyone". */
function agentQuery(query: URLSearchParams): string | undefined {
  const agent = query.get('agent');
  if (agent === null) return undefined;
  if (agent === '') throw new ApiError(400, 'invalid_request', 'agent must name an agent of this gateway');
  return agent;
}

function boolQuery(query: URLSearchParams, key: string, fallback: boolean): boolean {
  const v = query.get(key);
  if (v === null) return fallback;
  if (v === 'true') return true;
  if (v === 'false') return false;
  throw new PlainHttpError(400, `Failed to deserialize query string: ${key}: provided string was not \`true\` or \`false\``);
}

function u32Query(query: URLSearchParams, key: string, fallback: number): number {
  const v = query.get(key);
  if (v === null) return fallback;
  if (!/^\+?\d+$/.test(v) || Number(v) > 0xffffffff) {
    throw new PlainHttpError(400, `Failed to deserialize query string: ${key}: invalid digit found in string`);
  }
  return Number(v);
}

export { boolQuery, u32Query };
