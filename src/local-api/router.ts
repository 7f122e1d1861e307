// A small method + path router for the local API (no framework: the hot path stays on bare
// node:http). Patterns are literal segments and `:name` parameters; a parameter marked `:name*`
// takes the rest of the path up to a fixed suffix, so an unencoded `ed25519:` key with `/` in its
// base64 still matches (the Python SDK does not encode keys in paths).

import type { IncomingMessage, ServerResponse } from 'node:http';

export interface RouteContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
}

/** What a route answers: JSON (any value), plain text, an empty 200, or "I wrote it myself". */
export type RouteReply =
  | { readonly status?: number; readonly json: unknown }
  | { readonly status?: number; readonly text: string; readonly contentType?: string }
  | { readonly status?: number; readonly empty: true }
  | { readonly streamed: true };

export type RouteHandler = (ctx: RouteContext) => Promise<RouteReply> | RouteReply;

interface CompiledRoute {
  readonly method: string;
  readonly regex: RegExp;
  readonly names: readonly string[];
  readonly handler: RouteHandler;
}

export class Router {
  private readonly routes: CompiledRoute[] = [];

  add(method: string, pattern: string, handler: RouteHandler): this {
    const names: string[] = [];
    const source = pattern
      .split('/')
      .map((segment) => {
        if (segment.startsWith(':')) {
          const greedy = segment.endsWith('*');
          names.push(segment.slice(1, greedy ? -1 : undefined));
          return greedy ? '(.+)' : '([^/]+)';
        }
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.routes.push({ method, regex: new RegExp(`^${source}$`), names, handler });
    return this;
  }

  /** The handler for a path, 'method' if the path exists with other methods, or undefined. */
  match(method: string, path: string): { handler: RouteHandler; params: Record<string, string> } | 'method' | undefined {
    let pathExists = false;
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      if (route.method !== method) {
        pathExists = true;
        continue;
      }
      const params: Record<string, string> = {};
      route.names.forEach((name, i) => {
        params[name] = safeDecode(m[i + 1]!);
      });
      return { handler: route.handler, params };
    }
    return pathExists ? 'method' : undefined;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // Not valid percent-encoding: use the raw text (the route validates it).
    return text;
  }
}
