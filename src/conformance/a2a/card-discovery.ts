// Finds an A2A agent card from what a user typed (a2a-notes §9): `<url>/.well-known/agent-card.json`
// first (the URL is the agent's base URL), then `<origin>/.well-known/agent-card.json` (the URL
// was an endpoint or a path under the agent), asking for the v1.0 card. Reads the card's
// interfaces; judging the card is the checks' business, not this module's.

/** The well-known card path of v0.3 and v1.0 (a2a-notes §9). */
export const AGENT_CARD_WELL_KNOWN = '.well-known/agent-card.json';

export interface CardInterface {
  readonly url: string;
  readonly protocolBinding: string;
  readonly protocolVersion: string;
}

export interface DiscoveredCard {
  /** Where the card answered. */
  readonly cardUrl: string;
  readonly card: Readonly<Record<string, unknown>>;
  /** Every URL tried, in order, with what it answered. */
  readonly tried: ReadonlyArray<{ readonly url: string; readonly outcome: string }>;
}

export class CardNotFoundError extends Error {
  readonly tried: DiscoveredCard['tried'];
  constructor(tried: DiscoveredCard['tried']) {
    super(`no agent card found: ${tried.map((t) => `${t.url} (${t.outcome})`).join('; ')}`);
    this.name = 'CardNotFoundError';
    this.tried = tried;
  }
}

/** The candidate card URLs for a user-given URL, most specific first, without duplicates. */
export function cardCandidates(input: string): string[] {
  const url = new URL(input);
  url.search = '';
  url.hash = '';
  // A URL that already names the card is used as is.
  if (url.pathname.endsWith(`/${AGENT_CARD_WELL_KNOWN}`)) return [url.href];
  const base = url.pathname.endsWith('/') ? url.pathname : `${url.pathname}/`;
  const candidates = [new URL(`${base}${AGENT_CARD_WELL_KNOWN}`, url.origin).href, new URL(`/${AGENT_CARD_WELL_KNOWN}`, url.origin).href];
  return [...new Set(candidates)];
}

export async function discoverAgentCard(input: string, options: { readonly signal?: AbortSignal; readonly a2aVersion?: string } = {}): Promise<DiscoveredCard> {
  const tried: Array<{ url: string; outcome: string }> = [];
  for (const url of cardCandidates(input)) {
    let res: Response;
    try {
      res = await fetch(url, { headers: { accept: 'application/json', 'a2a-version': options.a2aVersion ?? '1.0' }, redirect: 'follow', ...(options.signal !== undefined && { signal: options.signal }) });
    } catch (err) {
      tried.push({ url, outcome: `fetch failed: ${(err as Error).message}` });
      continue;
    }
    const text = await res.text();
    if (res.status !== 200) {
      tried.push({ url, outcome: `HTTP ${res.status}` });
      continue;
    }
    let card: unknown;
    try {
      card = JSON.parse(text);
    } catch {
      tried.push({ url, outcome: 'HTTP 200 but not JSON' });
      continue;
    }
    if (typeof card !== 'object' || card === null || Array.isArray(card)) {
      tried.push({ url, outcome: 'HTTP 200 but not a JSON object' });
      continue;
    }
    tried.push({ url, outcome: 'HTTP 200' });
    return { cardUrl: url, card: card as Record<string, unknown>, tried };
  }
  throw new CardNotFoundError(tried);
}

/** The card's well-formed `supportedInterfaces` entries (malformed ones are the checks' to report). */
export function cardInterfaces(card: Readonly<Record<string, unknown>>): CardInterface[] {
  const list = card['supportedInterfaces'];
  if (!Array.isArray(list)) return [];
  return list.filter((i): i is CardInterface => typeof i === 'object' && i !== null && typeof i.url === 'string' && typeof i.protocolBinding === 'string' && typeof i.protocolVersion === 'string');
}

/** The first interface (card order = preference, a2a-notes §9) with this binding and version. */
export function pickInterface(card: Readonly<Record<string, unknown>>, binding: 'JSONRPC' | 'HTTP+JSON', version: string): CardInterface | undefined {
  return cardInterfaces(card).find((i) => i.protocolBinding === binding && i.protocolVersion === version);
}
