// One node:http handler for everything A2A on the shared port (DESIGN §2 URL map): the agent
// card at the well-known paths (public), JSON-RPC at POST /a2a on bare node:http, and the REST
// binding (v1.0 `/message:send`, `/tasks/...`; v0.3 `/v1/message:send`, `/v1/tasks/...`) through
// the SDK's express handler. Everything but the card needs the caller to pass `authenticate`
// first. The daemon mounts this behind the local API, which keeps the exact `/v1/*` local routes
// for loopback callers (so `GET /v1/card` is the local API's there). Knows nothing of toq.

import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import type { Logger } from 'pino';
import type { AgentCard } from '@a2a-js/sdk';
import { restHandler } from '@a2a-js/sdk/server/express';
import type { A2ARequestHandler, User } from '@a2a-js/sdk/server';
import { normalizeA2aVersion } from './a2a-version.js';
import { sendJsonRpcRefusal, sendRestRefusal, type Authenticate } from './bearer-auth.js';
import { agentContextBuilder } from './call-context.js';
import { AGENT_CARD_PATHS, CARD_MAX_AGE_S, createCardHandler } from './card-endpoint.js';
import { JWKS_PATH, type JsonWebKeySet } from './card-signature.js';
import { createJsonRpcEndpoint } from './jsonrpc-endpoint.js';
import { LEGACY_PUSH_CONFIGS_ROUTE, unwrapLegacyPushConfigBody } from './legacy-push-config-body.js';

/** Where the JSON-RPC binding answers (the reference's path). */
export const JSON_RPC_PATH = '/a2a';

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface A2aHttpHandlerOptions {
  readonly requestHandler: A2ARequestHandler;
  /** The card served at the well-known paths (called per request: it may change, e.g. on key rotation). */
  readonly card: () => Promise<AgentCard>;
  readonly authenticate: Authenticate;
  /** The JWKS published (publicly) at `/.well-known/jwks.json` (card-signature.ts); undefined = 404 there. */
  readonly jwks?: () => JsonWebKeySet;
  /** The tenant every call is pinned to (one per agent). */
  readonly tenant: string;
  /** Largest JSON-RPC body. @default MAX_JSON_RPC_BODY_BYTES (4 MiB) */
  readonly maxBodyBytes?: number;
}

export function createA2aHttpHandler(options: A2aHttpHandlerOptions, deps: { log: Logger }): HttpHandler {
  const cardHandler = createCardHandler(options.card);
  const jsonRpc = createJsonRpcEndpoint(
    { requestHandler: options.requestHandler, tenant: options.tenant, ...(options.maxBodyBytes !== undefined && { maxBodyBytes: options.maxBodyBytes }) },
    deps.log,
  );
  const users = new WeakMap<IncomingMessage, User>();
  const rest = express();
  rest.disable('x-powered-by');
  // v0.3 clients that send the spec's {config: ...} wrapper (a2a-python, the TCK); the SDK wants it bare.
  rest.post(LEGACY_PUSH_CONFIGS_ROUTE, unwrapLegacyPushConfigBody());
  rest.use(
    restHandler({
      requestHandler: options.requestHandler,
      userBuilder: (req) => {
        const user = users.get(req);
        // Unreachable: every request reaches this app through the auth check below.
        if (user === undefined) return Promise.reject(new TypeError('REST request without an authenticated user'));
        return Promise.resolve(user);
      },
      legacyCompat: { enabled: true },
      contextBuilder: agentContextBuilder(options.tenant),
    }),
  );
  rest.use((_req, res) => {
    res.status(404).end();
  });

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (AGENT_CARD_PATHS.includes(url.pathname)) {
      cardHandler(req, res, url);
      return;
    }
    if (url.pathname === JWKS_PATH && options.jwks !== undefined) {
      sendJwks(req, res, options.jwks());
      return;
    }
    // Clients that join a base URL with a path (httpx, the TCK) post to `/a2a/`: the same endpoint.
    const isJsonRpc = url.pathname === JSON_RPC_PATH || url.pathname === `${JSON_RPC_PATH}/`;
    // Authentication may wait for the issuer's keys (JWT, a2a-auth.ts); it never rejects by contract.
    void options.authenticate(req).then(
      (auth) => {
        if (auth.user === undefined) {
          req.resume();
          if (isJsonRpc) sendJsonRpcRefusal(res, auth.refusal);
          else sendRestRefusal(res, auth.refusal);
          return;
        }
        if (isJsonRpc) {
          jsonRpc(req, res, url, auth.user);
          return;
        }
        normalizeVersionHeader(req, url);
        users.set(req, auth.user);
        rest(req, res);
      },
      (err: unknown) => {
        deps.log.error({ err }, 'A2A authentication threw');
        req.resume();
        if (isJsonRpc) sendJsonRpcRefusal(res, 'unavailable');
        else sendRestRefusal(res, 'unavailable');
      },
    );
  };
}

/** Public like the card: the keys that verify its signatures (DESIGN §4). */
function sendJwks(req: IncomingMessage, res: ServerResponse, jwks: JsonWebKeySet): void {
  req.resume();
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 }).end();
    return;
  }
  const body = JSON.stringify(jwks);
  res.writeHead(200, { 'content-type': 'application/jwk-set+json', 'content-length': Buffer.byteLength(body), 'cache-control': `public, max-age=${CARD_MAX_AGE_S}` });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** The SDK's REST handler compares `A2A-Version` literally; give it the Major.Minor form (a2a-notes §2). */
function normalizeVersionHeader(req: IncomingMessage, url: URL): void {
  const header = req.headers['a2a-version'];
  if (typeof header === 'string' && header.trim() !== '') {
    req.headers['a2a-version'] = normalizeA2aVersion(header);
    return;
  }
  for (const [key, value] of url.searchParams) {
    if (key.toLowerCase() === 'a2a-version' && value.trim() !== '') {
      req.headers['a2a-version'] = normalizeA2aVersion(value);
      return;
    }
  }
}
