// The per-agent A2A URL map (DESIGN §2): `/a2a/{name}` is agent `{name}`'s JSON-RPC endpoint,
// and `/a2a/{name}/<path>` its card (`/.well-known/agent-card.json`) and REST binding (v1.0
// `/message:send`, `/tasks/...`; v0.3 `/v1/...`). Each agent has a handler built for the root
// paths (a2a-http-handler.ts); the router strips the prefix and hands the request over.
// Everything else goes to the default agent's handler. Knows nothing of toq.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { JSON_RPC_PATH, type HttpHandler } from './a2a-http-handler.js';

/** Where hosted agents live: `/a2a/{name}...`. */
export const AGENT_PATH_PREFIX = `${JSON_RPC_PATH}/`;

export interface A2aAgentRouterOptions {
  /** Agent name → its A2A handler (root paths). */
  readonly agents: ReadonlyMap<string, HttpHandler>;
  /** The default agent (root paths, `POST /a2a`); undefined = 404 there. */
  readonly defaultAgent?: HttpHandler;
}

export function createA2aAgentRouter(options: A2aAgentRouterOptions): HttpHandler {
  return (req, res) => {
    const raw = req.url ?? '/';
    const queryAt = raw.indexOf('?');
    const path = queryAt === -1 ? raw : raw.slice(0, queryAt);
    const query = queryAt === -1 ? '' : raw.slice(queryAt);
    // `/a2a/` is the default agent's JSON-RPC endpoint, like `/a2a`.
    if (path.startsWith(AGENT_PATH_PREFIX) && path !== AGENT_PATH_PREFIX) {
      const rest = path.slice(AGENT_PATH_PREFIX.length);
      const slash = rest.indexOf('/');
      const name = slash === -1 ? rest : rest.slice(0, slash);
      const handler = options.agents.get(name);
      if (handler === undefined) {
        notFound(req, res, `no A2A agent named "${name}"`);
        return;
      }
      const inner = slash === -1 ? '' : rest.slice(slash);
      // `/a2a/{name}` (and `/a2a/{name}/`) is the agent's JSON-RPC endpoint.
      req.url = (inner === '' || inner === '/' ? JSON_RPC_PATH : inner) + query;
      handler(req, res);
      return;
    }
    if (options.defaultAgent === undefined) {
      notFound(req, res, `no route for ${req.method ?? 'GET'} ${path}`);
      return;
    }
    options.defaultAgent(req, res);
  };
}

function notFound(req: IncomingMessage, res: ServerResponse, message: string): void {
  req.resume();
  const body = JSON.stringify({ error: 'not_found', message });
  res.writeHead(404, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
}
