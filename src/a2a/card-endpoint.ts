// Serves the agent card at the well-known paths (a2a-notes §9): the v1.0 card as ProtoJSON to
// `A2A-Version: 1.0` callers, and the SDK's v0.3-compatible card to callers that send no version
// or 0.3. The v1.0 card is rendered here because the SDK's v1.0 card handler prints the
// in-memory object as is, so its security schemes come out in the SDK's internal `$case` shape
// instead of ProtoJSON. Cache-Control, a strong ETag, 304 on If-None-Match, Vary: A2A-Version.
// Only the v1.0 card carries `signatures` (a2a-notes §9): they are computed over that rendering.

import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { AgentCard } from '@a2a-js/sdk';
import { legacyAgentCardRouter } from '@a2a-js/sdk/compat/v0_3/server/express';
import { LEGACY_A2A_VERSION, requestedA2aVersion } from './a2a-version.js';

/** `/.well-known/agent-card.json` (v0.3 and v1.0) and the pre-0.3 `/.well-known/agent.json`. */
export const AGENT_CARD_PATHS: readonly string[] = Object.freeze(['/.well-known/agent-card.json', '/.well-known/agent.json']);

/** Clients may cache the card this long; it changes on key rotation and config edits. */
export const CARD_MAX_AGE_S = 300;

export type CardHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

export function createCardHandler(provider: () => Promise<AgentCard>): CardHandler {
  const legacy = express();
  legacy.disable('x-powered-by');
  // The v1.0 signatures (card-signature.ts) cover the v1.0 rendering; over the converted v0.3 card
  // they would not verify, and a card with only invalid signatures is worse than an unsigned one.
  const unsigned = () => provider().then((card) => ({ ...card, signatures: [] }));
  const router = legacyAgentCardRouter({ agentCardProvider: unsigned, cache: { maxAge: CARD_MAX_AGE_S } });
  for (const path of AGENT_CARD_PATHS) legacy.use(path, router);
  legacy.use((_req, res) => {
    res.status(404).end();
  });

  // Last-Modified: when this card (by its ETag) was first served; a changed card (key rotation) moves it.
  let lastModified = { etag: '', http: '' };
  const lastModifiedOf = (etag: string): string => {
    if (lastModified.etag !== etag) lastModified = { etag, http: new Date().toUTCString() };
    return lastModified.http;
  };
  return (req, res, url) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-length': 0 }).end();
      return;
    }
    const version = requestedA2aVersion(req.headers['a2a-version'], url.searchParams);
    if (version === LEGACY_A2A_VERSION) {
      // The same Last-Modified as the v1.0 rendering of the same card.
      provider().then(
        (card) => {
          res.setHeader('last-modified', lastModifiedOf(etagOf(JSON.stringify(AgentCard.toJSON(card)))));
          legacy(req, res);
        },
        () => legacy(req, res),
      );
      return;
    }
    provider().then(
      (card) => {
        const body = JSON.stringify(AgentCard.toJSON(card));
        const etag = etagOf(body);
        const headers = { etag, 'last-modified': lastModifiedOf(etag), vary: 'A2A-Version', 'cache-control': `public, max-age=${CARD_MAX_AGE_S}` };
        const inm = req.headers['if-none-match'];
        if (inm !== undefined && inm.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) {
          res.writeHead(304, headers).end();
          return;
        }
        res.writeHead(200, { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (err: unknown) => {
        const body = JSON.stringify({ error: `agent card unavailable: ${(err as Error)?.message ?? String(err)}` });
        res.writeHead(500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      },
    );
  };
}

function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}
