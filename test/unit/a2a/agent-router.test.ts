// The per-agent URL map (DESIGN §2): /a2a/{name}... to that agent's root-path handler, the rest
// to the default agent.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createA2aAgentRouter } from '../../../src/a2a/agent-router.js';
import type { HttpHandler } from '../../../src/a2a/a2a-http-handler.js';

function recorder(name: string, seen: string[]): HttpHandler {
  return (req) => void seen.push(`${name} ${req.url ?? ''}`);
}

function fakeRes(): ServerResponse & { status?: number } {
  const res = {
    writeHead(status: number) {
      res.status = status;
      return res;
    },
    end() {
      return res;
    },
  } as unknown as ServerResponse & { status?: number };
  return res;
}

const req = (url: string): IncomingMessage => ({ url, method: 'GET', resume: () => undefined }) as unknown as IncomingMessage;

describe('createA2aAgentRouter', () => {
  it('strips /a2a/{name}: JSON-RPC, card, v1.0 and v0.3 REST, query kept', () => {
    const seen: string[] = [];
    const route = createA2aAgentRouter({ agents: new Map([['bob', recorder('bob', seen)]]), defaultAgent: recorder('default', seen) });
    for (const url of ['/a2a/bob', '/a2a/bob/', '/a2a/bob/.well-known/agent-card.json', '/a2a/bob/message:send', '/a2a/bob/v1/tasks/t1?historyLength=2', '/a2a', '/message:send', '/.well-known/agent-card.json']) route(req(url), fakeRes());
    expect(seen).toEqual([
      'bob /a2a',
      'bob /a2a',
      'bob /.well-known/agent-card.json',
      'bob /message:send',
      'bob /v1/tasks/t1?historyLength=2',
      'default /a2a',
      'default /message:send',
      'default /.well-known/agent-card.json',
    ]);
  });

  it('an unknown agent is 404, and so is everything else without a default agent', () => {
    const seen: string[] = [];
    const route = createA2aAgentRouter({ agents: new Map([['bob', recorder('bob', seen)]]) });
    const unknown = fakeRes();
    route(req('/a2a/carol/message:send'), unknown);
    const root = fakeRes();
    route(req('/a2a'), root);
    const prefixOnly = fakeRes();
    route(req('/a2a/bobby'), prefixOnly);
    expect([unknown.status, root.status, prefixOnly.status]).toEqual([404, 404, 404]);
    expect(seen).toEqual([]);
  });
});
