// The local API as one node:http request handler: loopback guard, routing, and rendering of
// replies and errors in the reference's shapes. The daemon mounts it on the shared port's HTTP
// server; requests that may not use it fall through to `fallback` (A2A routes, or a 404).

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { ApiError, PlainHttpError, errorBody } from './api-error.js';
import { toJsonText } from './json-text.js';
import type { LocalApiDeps } from './local-api-deps.js';
import { localApiRefusal } from './loopback-guard.js';
import { Router, type RouteReply } from './router.js';
import { addDaemonRoutes } from './routes/daemon-routes.js';
import { addMessageRoutes } from './routes/message-routes.js';
import { addPeerRoutes } from './routes/peer-routes.js';

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createLocalApiHandler(deps: LocalApiDeps, log: Logger, fallback: HttpHandler = notFound): HttpHandler {
  const router = new Router();
  addMessageRoutes(router, deps);
  addPeerRoutes(router, deps);
  addDaemonRoutes(router, deps);

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!url.pathname.startsWith('/v1/')) {
      fallback(req, res);
      return;
    }
    const refusal = localApiRefusal(req);
    if (refusal !== undefined) {
      log.warn({ remote: req.socket.remoteAddress, path: url.pathname, refusal }, 'local API refused');
      fallback(req, res);
      return;
    }
    const match = router.match(req.method ?? 'GET', url.pathname);
    if (match === undefined) {
      // Not a local-API route: maybe an A2A one (v0.3 REST lives under /v1 too, DESIGN §2).
      fallback(req, res);
      return;
    }
    if (match === 'method') {
      res.writeHead(405, { 'content-length': 0 }).end();
      return;
    }
    Promise.resolve()
      .then(() => match.handler({ req, res, params: match.params, query: url.searchParams }))
      .then(
        (reply) => render(res, reply),
        (err: unknown) => renderError(res, err, log, url.pathname),
      );
  };
}

function render(res: ServerResponse, reply: RouteReply): void {
  if ('streamed' in reply) return;
  const status = reply.status ?? 200;
  if ('json' in reply) {
    const body = toJsonText(reply.json);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  } else if ('text' in reply) {
    res.writeHead(status, { 'content-type': reply.contentType ?? 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(reply.text) }).end(reply.text);
  } else {
    res.writeHead(status, { 'content-length': 0 }).end();
  }
}

function renderError(res: ServerResponse, err: unknown, log: Logger, path: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof ApiError) {
    const body = errorBody(err.code, err.message);
    res.writeHead(err.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    return;
  }
  if (err instanceof PlainHttpError) {
    res.writeHead(err.status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(err.message) }).end(err.message);
    return;
  }
  log.error({ err, path }, 'local API route failed');
  const body = errorBody('internal_error', (err as Error)?.message ?? 'internal error');
  res.writeHead(500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}

export function notFound(_req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(404, { 'content-length': 0 }).end();
}
